-- Nodes (issue 15): a machine enrolled for one platform's (family, arch) triple. It authenticates
-- to the node API with an opaque token (pnn_...) of which only the SHA-256 is kept; its last
-- accepted report is kept on the row, so the fleet's convergence is one scan of this table.
create table node (
    id                   uuid primary key,
    node_platform_id     uuid        not null references node_platform (id),
    name                 text        not null check (name ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    artifact_family      text        not null
                             check (artifact_family in ('kernel_initramfs', 'uefi_disk', 'iso', 'ipxe', 'qcow2', 'oci')),
    arch                 text        not null check (arch in ('amd64', 'arm64')),
    token_sha256         text        not null unique check (token_sha256 ~ '^[0-9a-f]{64}$'),
    enrolled_by          text        not null check (length(enrolled_by) between 1 and 200),
    enrolled_at          timestamptz not null,
    revoked_at           timestamptz,
    last_seen_at         timestamptz,
    -- the last accepted report
    last_publication_id  uuid,
    last_result          text        check (last_result in ('healthy', 'failed', 'fell_back')),
    last_report_at       timestamptz,
    agent_version        text        check (length(agent_version) <= 100),
    uptime_seconds       bigint      check (uptime_seconds >= 0),
    constraint node_report_fields_together check (
        (last_report_at is null) = (last_result is null) and (last_report_at is null) = (last_publication_id is null))
);
-- a name is the live node's: a revoked node's name may be enrolled again
create unique index node_name_unique_per_platform on node (node_platform_id, name) where revoked_at is null;
create index node_by_triple on node (node_platform_id, artifact_family, arch) where revoked_at is null;

-- Every report a node sent with a valid token, accepted or refused: report_id (the node's) makes a
-- retry idempotent; a refused one keeps its reason and changed nothing.
create table node_report (
    node_id          uuid        not null references node (id) on delete cascade,
    report_id        uuid        not null,
    received_at      timestamptz not null,
    publication_id   uuid,
    sha256           text        check (sha256 ~ '^[0-9a-f]{64}$'),
    result           text        check (result in ('healthy', 'failed', 'fell_back')),
    agent_version    text        check (length(agent_version) <= 100),
    uptime_seconds   bigint      check (uptime_seconds >= 0),
    refusal_code     text        check (length(refusal_code) <= 100),
    refusal          text        check (length(refusal) <= 1000),
    primary key (node_id, report_id),
    constraint node_report_refusal_together check ((refusal_code is null) = (refusal is null)),
    constraint node_report_accepted_is_complete check (
        refusal_code is not null or (publication_id is not null and sha256 is not null and result is not null))
);
create index node_report_by_time on node_report (received_at);
