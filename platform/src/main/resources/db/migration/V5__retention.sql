-- Retention also purges failed rows past their age; a purged row need not have been published.
alter table disk_image_publication drop constraint disk_image_publication_check2;
alter table disk_image_publication
    add constraint disk_image_publication_published_has_digest
        check (status not in ('published', 'retired') or (published_at is not null and sha256 is not null));
-- the retention sweep ranks each triple's publications newest first
create index disk_image_publication_by_triple
    on disk_image_publication (node_platform_id, artifact_family, arch, created_at desc, id desc)
    where status in ('published', 'retired');
create index disk_image_publication_by_oci_ref on disk_image_publication (oci_ref) where oci_ref is not null;
