-- Outbound notifications: operator endpoints, the events, and one delivery (with retries) per pair.
create table event_subscription (
    id                uuid primary key,
    url               text        not null check (url ~ '^https?://' and length(url) <= 2048),
    secret_ciphertext bytea       not null,
    event_types       text[]      not null default '{}',
    created_at        timestamptz not null
);

create table outbound_event (
    id               uuid primary key,
    type             text        not null check (type in ('published', 'failed', 'promoted', 'rolled_back', 'purged')),
    node_platform_id uuid        not null references node_platform (id),
    publication_id   uuid        not null references disk_image_publication (id),
    body             text        not null,
    created_at       timestamptz not null
);

create table event_delivery (
    id               uuid primary key,
    event_id         uuid        not null references outbound_event (id),
    subscription_id  uuid        not null references event_subscription (id) on delete cascade,
    status           text        not null check (status in ('pending', 'delivered', 'failed')),
    attempts         integer     not null default 0,
    next_attempt_at  timestamptz not null,
    lease_until      timestamptz,
    last_http_status integer,
    last_error       text,
    delivered_at     timestamptz,
    created_at       timestamptz not null,
    unique (event_id, subscription_id)
);
create index event_delivery_due on event_delivery (next_attempt_at) where status = 'pending';
create index event_delivery_by_created on event_delivery (created_at desc, id desc);
