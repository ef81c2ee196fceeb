-- Webhook intake hardening (issues 14 and 11): what a replay, a late announcement or a reused
-- delivery id must not be able to do, enforced where the intake statement can see it.

-- "Newer" comes from the signed payload: the build time the webhook announces, checked at ingest
-- against the manifest's org.opencontainers.image.created annotation. Null for direct uploads and
-- for publications made before this migration (they order by created_at).
alter table disk_image_publication add column build_time timestamptz;
-- The manifest digest of oci_ref ('sha256:...'), so "already announced for this triple" is one lookup.
alter table disk_image_publication
    add column manifest_digest text generated always as (nullif(split_part(oci_ref, '@', 2), '')) stored;
-- One live publication per manifest digest and triple: a second announcement of a digest that is
-- queued, verifying, published or retired creates nothing (the intake statement's ON CONFLICT).
-- Rows from before this migration (no build_time) are left out so that it applies to any history.
create unique index disk_image_publication_announced_once
    on disk_image_publication (node_platform_id, artifact_family, arch, manifest_digest)
    where build_time is not null and status in ('queued', 'verifying', 'published', 'retired');
-- The same lookup for rows the unique index leaves out (before this migration, direct uploads). Kept
-- partial so that a webhook's insert maintains one index for it, not two (intake throughput).
create index disk_image_publication_by_manifest_digest
    on disk_image_publication (manifest_digest) where manifest_digest is not null and build_time is null;

-- What a delivery was: the HMAC it carried (hex, only when it verified) and the SHA-256 of its body,
-- so a replayed signature and a delivery id reused with another body can be told apart.
alter table webhook_delivery
    add column signature text check (signature ~ '^[0-9a-f]{64}$'),
    add column body_sha256 char(64) check (body_sha256 ~ '^[0-9a-f]{64}$');
-- (The replay lookup reads webhook_delivery_by_webhook within the window: no index of its own, since
-- every accepted call would pay for it and only refused ones use it.)
-- stored reasons are bounded (the receiver truncates; this keeps any other writer honest)
update webhook_delivery set reason = left(reason, 500) where length(reason) > 500;
alter table webhook_delivery add constraint webhook_delivery_reason_bounded check (length(reason) <= 500);

-- Least privilege: a webhook may be limited to some platforms (empty = any).
alter table disk_image_webhook add column allowed_platform_ids uuid[] not null default '{}';
