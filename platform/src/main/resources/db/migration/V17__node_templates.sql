-- Templates (issue 15, the spec's step 8): how to make a node of a platform. Provisioning one enrols
-- a node and hands out the platform's current disk for it with its identity.cfg in BOOT's slot:
-- the raw UEFI disk streamed, or for a hypervisor a qcow2 overlay on the published qcow2 plus the
-- libvirt domain (memory, vCPUs, the directory the disks live in on the host).
create table node_template (
    id               uuid primary key,
    name             text        not null unique check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    node_platform_id uuid        not null references node_platform (id),
    artifact_family  text        not null check (artifact_family in ('uefi_disk', 'qcow2')),
    arch             text        not null check (arch in ('amd64', 'arm64')),
    memory_mib       integer     not null check (memory_mib between 256 and 1048576),
    vcpus            integer     not null check (vcpus between 1 and 256),
    image_dir        text        not null check (image_dir ~ '^/[^\n''"<>&]*$' and length(image_dir) <= 500),
    created_by       text        not null check (length(created_by) between 1 and 200),
    created_at       timestamptz not null
);
