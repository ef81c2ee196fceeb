-- Direct uploads carry their signature (cosign sign-blob, base64) from creation to verification.
alter table disk_image_publication
    add column upload_signature  text check (length(upload_signature) <= 4096),
    add column upload_media_type text check (length(upload_media_type) <= 255);
