-- Direct uploads land in the registry (issue 19): each one in progress is a registry upload session
-- that any replica may continue. Its location (which changes with every chunk), the bytes received
-- and the SHA-256 state over them (Bouncy Castle's encoded SHA256Digest state) live here, so a
-- replica that never saw the first bytes continues the hash where another stopped. A row goes when
-- its upload completes, fails or expires.
create table upload_session (
    publication_id uuid        primary key references disk_image_publication (id) on delete cascade,
    registry       text        not null check (length(registry) <= 255),
    repository     text        not null check (length(repository) <= 255),
    location       text        not null check (length(location) <= 4096),
    received       bigint      not null check (received >= 0),
    hash_state     bytea       not null check (length(hash_state) <= 1024),
    created_at     timestamptz not null,
    updated_at     timestamptz not null
);
