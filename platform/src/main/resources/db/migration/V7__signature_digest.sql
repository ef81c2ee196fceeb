-- The digest of the signature manifest that verified a publication, so retention can delete it
-- without asking the registry for it first.
alter table disk_image_publication
    add column signature_digest text check (signature_digest ~ '^sha256:[0-9a-f]{64}$');
