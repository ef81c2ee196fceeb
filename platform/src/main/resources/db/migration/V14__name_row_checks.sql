-- Names for the row checks V1 left to PostgreSQL (disk_image_publication_check, _check1, ...): a
-- refused write names the rule it broke in its error and in the log, and the schema tests assert
-- that name rather than "some constraint fired".
alter table disk_image_publication
    rename constraint disk_image_publication_check to disk_image_publication_active_only_published;
alter table disk_image_publication
    rename constraint disk_image_publication_check1 to disk_image_publication_failed_has_error;
alter table disk_image_publication
    rename constraint disk_image_publication_check3 to disk_image_publication_retired_has_time;
alter table disk_image_publication
    rename constraint disk_image_publication_check4 to disk_image_publication_purged_has_time;
alter table node_platform
    rename constraint node_platform_check to node_platform_cosign_identity_with_issuer;
