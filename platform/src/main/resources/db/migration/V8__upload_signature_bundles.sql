-- Direct uploads may carry a Sigstore bundle (keyless sign-blob, a few KiB of JSON) instead of a
-- bare base64 signature.
alter table disk_image_publication drop constraint if exists disk_image_publication_upload_signature_check;
alter table disk_image_publication
    add constraint disk_image_publication_upload_signature_check check (length(upload_signature) <= 65536);
