-- Auto-rollback (issue 15): per platform, off until an operator sets it. When `failures` of the
-- first `window` nodes that reported on a triple's current publication report a failed (or fallen
-- back) boot of it, the platform points the triple back at the previous publication.
create table node_rollback_policy (
    node_platform_id uuid primary key references node_platform (id),
    failures         integer     not null check (failures between 1 and 10000),
    window_nodes     integer     not null check (window_nodes between 1 and 10000),
    updated_by       text        not null check (length(updated_by) between 1 and 200),
    updated_at       timestamptz not null,
    constraint node_rollback_policy_failures_within_window check (failures <= window_nodes)
);

-- Each trip: the publication that tripped (never again, and never a publication an auto-rollback
-- made current: no cascade without an operator), where it went back to, and why.
create table node_rollback_trip (
    publication_id        uuid primary key,
    node_platform_id      uuid        not null references node_platform (id),
    target_publication_id uuid,
    reason                text        not null check (length(reason) <= 1000),
    tripped_at            timestamptz not null
);
create index node_rollback_trip_by_target on node_rollback_trip (target_publication_id);
