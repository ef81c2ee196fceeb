-- Every move of a triple's current publication (auto-promote, set-default, rollback), with who and why.
create table disk_image_pointer_change (
    id                  bigint generated always as identity primary key,
    node_platform_id    uuid        not null references node_platform (id),
    artifact_family     text        not null
                            check (artifact_family in ('kernel_initramfs', 'uefi_disk', 'iso', 'ipxe', 'qcow2', 'oci')),
    arch                text        not null check (arch in ('amd64', 'arm64')),
    from_publication_id uuid references disk_image_publication (id),
    to_publication_id   uuid        not null references disk_image_publication (id),
    actor               text        not null,
    reason              text        not null check (reason in ('auto-promote', 'set-default', 'rollback')),
    at                  timestamptz not null
);
create index disk_image_pointer_change_by_platform on disk_image_pointer_change (node_platform_id, id desc);
create index disk_image_publication_transition_by_at on disk_image_publication_transition (at desc, id desc);
