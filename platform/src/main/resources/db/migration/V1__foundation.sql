-- Foundation schema. Constraints live here, not only in code: the database is the last line of
-- defence when several service replicas (or an operator with psql) touch the same rows.

create table file_object (
    id          uuid primary key,
    storage     text        not null check (storage in ('oci', 'local')),
    location    text        not null check (length(location) between 1 and 2048),
    media_type  text,
    sha256      char(64)    not null check (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes  bigint      not null check (size_bytes >= 0),
    created_at  timestamptz not null
);

create table node_platform (
    id                            uuid primary key,
    slug                          text        not null unique
                                      check (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    name                          text        not null check (length(name) between 1 and 200),
    build_script                  text        check (length(build_script) <= 65536),
    -- verification policy (keyless: identity regexp + issuer; key-pair: PEM public keys)
    cosign_identity_regexp        text        check (length(cosign_identity_regexp) <= 1024),
    cosign_oidc_issuer            text        check (length(cosign_oidc_issuer) <= 1024),
    cosign_public_keys            text[]      not null default '{}',
    require_tlog                  boolean,
    disk_image_retention_count    integer     not null default 3
                                      check (disk_image_retention_count between 1 and 100),
    -- the platform's primary triple, mirrored by the pointer columns below
    primary_artifact_family       text        not null default 'uefi_disk'
                                      check (primary_artifact_family in
                                             ('kernel_initramfs', 'uefi_disk', 'iso', 'ipxe', 'qcow2', 'oci')),
    primary_arch                  text        not null default 'amd64'
                                      check (primary_arch in ('amd64', 'arm64')),
    disk_image_oci_ref            text,
    disk_image_git_sha            text,
    disk_image_file_object_id     uuid references file_object (id),
    disk_image_publication_status text
                                      check (disk_image_publication_status in
                                             ('queued', 'awaiting_upload', 'verifying', 'published',
                                              'failed', 'retired', 'purged')),
    disk_image_publication_error  text,
    created_at                    timestamptz not null,
    updated_at                    timestamptz not null,
    -- keyless policy needs both halves: an identity without an issuer (or the reverse) is a misconfiguration
    check ((cosign_identity_regexp is null) = (cosign_oidc_issuer is null))
);

create table disk_image_webhook (
    id                 uuid primary key,
    label              text        not null unique check (label ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    -- AES-GCM ciphertext (nonce || ciphertext || tag) of the HMAC secret; the plaintext is shown once
    secret_ciphertext  bytea       not null,
    platform_api_base  text,
    created_at         timestamptz not null,
    rotated_at         timestamptz not null
);

create table worker (
    id            uuid primary key,
    role          text        not null check (role in ('ci_worker')),
    label         text        not null check (label ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    -- SHA-256 of the worker token; the token itself is shown once
    token_sha256  char(64)    not null check (token_sha256 ~ '^[0-9a-f]{64}$'),
    last_seen_at  timestamptz,
    created_at    timestamptz not null,
    rotated_at    timestamptz not null,
    unique (role, label)
);

create table disk_image_publication (
    id                     uuid primary key,
    node_platform_id       uuid        not null references node_platform (id),
    artifact_family        text        not null
                               check (artifact_family in ('kernel_initramfs', 'uefi_disk', 'iso', 'ipxe', 'qcow2', 'oci')),
    arch                   text        not null check (arch in ('amd64', 'arm64')),
    status                 text        not null
                               check (status in ('queued', 'awaiting_upload', 'verifying', 'published',
                                                 'failed', 'retired', 'purged')),
    active                 boolean     not null default false,
    firmware_ref           text,
    git_sha                text        check (git_sha ~ '^[0-9a-f]{7,64}$'),
    oci_ref                text        check (length(oci_ref) <= 2048),
    sha256                 char(64)    check (sha256 ~ '^[0-9a-f]{64}$'),
    size_bytes             bigint      check (size_bytes >= 0),
    attempt_count          integer     not null default 0 check (attempt_count >= 0),
    attestation_predicate  text,
    attestation_present    boolean     not null default false,
    cosign_bundle_present  boolean     not null default false,
    file_object_id         uuid references file_object (id),
    prior_file_object_id   uuid references file_object (id),
    webhook_id             uuid references disk_image_webhook (id),
    webhook_label          text,
    triggered_by_worker_id uuid references worker (id),
    verified_at            timestamptz,
    published_at           timestamptz,
    retired_at             timestamptz,
    purged_at              timestamptz,
    error_message          text,
    created_at             timestamptz not null,
    updated_at             timestamptz not null,
    -- only a published publication can be a triple's current one
    check (not active or status = 'published'),
    check (status <> 'failed' or error_message is not null),
    check (status not in ('published', 'retired', 'purged') or (published_at is not null and sha256 is not null)),
    check (status <> 'retired' or retired_at is not null),
    check (status <> 'purged' or purged_at is not null)
);

-- at most one current publication per (platform, artifact_family, arch) triple
create unique index disk_image_publication_one_active_per_triple
    on disk_image_publication (node_platform_id, artifact_family, arch) where active;
create index disk_image_publication_by_created on disk_image_publication (created_at desc, id desc);
create index disk_image_publication_by_platform
    on disk_image_publication (node_platform_id, created_at desc, id desc);
create index disk_image_publication_by_status on disk_image_publication (status, created_at desc, id desc);

create table disk_image_publication_transition (
    id              bigint generated always as identity primary key,
    publication_id  uuid        not null references disk_image_publication (id),
    from_status     text
                        check (from_status in ('queued', 'awaiting_upload', 'verifying', 'published',
                                               'failed', 'retired', 'purged')),
    to_status       text        not null
                        check (to_status in ('queued', 'awaiting_upload', 'verifying', 'published',
                                             'failed', 'retired', 'purged')),
    actor           text        not null,
    reason          text        not null,
    at              timestamptz not null
);
create index disk_image_publication_transition_by_publication
    on disk_image_publication_transition (publication_id, id);

alter table node_platform
    add constraint node_platform_publication_status_has_error
        check (disk_image_publication_status is distinct from 'failed' or disk_image_publication_error is not null);

create table webhook_delivery (
    id                  uuid primary key,
    -- the id in the URL, kept even when it names no webhook (so probes of unknown ids are visible)
    requested_webhook_id text       not null,
    webhook_id          uuid references disk_image_webhook (id),
    delivery_id         text check (length(delivery_id) <= 200),
    received_at         timestamptz not null,
    signature_valid     boolean     not null,
    http_status         integer     not null check (http_status between 100 and 599),
    reason              text,
    publication_id      uuid references disk_image_publication (id),
    response_body       text
);
create index webhook_delivery_by_received on webhook_delivery (received_at desc, id desc);
-- a delivery id is accepted once per webhook; repeats return the first response
create unique index webhook_delivery_accepted_once
    on webhook_delivery (webhook_id, delivery_id) where http_status = 202;

create table api_token (
    id          uuid primary key, -- the JWT's jti
    subject     text        not null check (length(subject) between 1 and 200),
    scopes      text[]      not null,
    description text,
    created_by  text        not null,
    created_at  timestamptz not null,
    expires_at  timestamptz not null,
    revoked_at  timestamptz,
    check (expires_at > created_at)
);
