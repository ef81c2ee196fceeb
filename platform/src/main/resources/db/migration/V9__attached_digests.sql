-- Every other manifest attached to a publication's image that verification saw (signatures that
-- did not count, Sigstore bundle and attestation referrers, a legacy .sig beside a bundle):
-- retention deletes them with the image, so nothing attached is left behind in the registry.
alter table disk_image_publication
    add column attached_digests text[] not null default '{}';
