-- The blobs each published manifest references (the manifest itself, its config and its layers),
-- recorded when ingest has pulled and re-hashed them. A registry keeps a blob until its garbage
-- collection finds no manifest that references it; with this table a retention run can report how
-- many bytes the manifests it deleted leave unreferenced by every publication still alive
-- ("reclaimable after GC"). Blob storage is content-addressed per registry, so the key is
-- (registry, digest), whatever the repository.
create table publication_blob (
    publication_id uuid   not null references disk_image_publication (id) on delete cascade,
    registry       text   not null check (length(registry) between 1 and 255),
    digest         text   not null check (digest ~ '^[a-z0-9]+:[0-9a-f]{32,128}$'),
    size_bytes     bigint not null check (size_bytes >= 0),
    primary key (publication_id, digest)
);
create index publication_blob_by_digest on publication_blob (registry, digest);
