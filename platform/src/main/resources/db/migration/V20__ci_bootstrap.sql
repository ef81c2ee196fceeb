-- bootstrap_disk_image_ci (issue 16): one row per label, what the last bootstrap of it set up, so a
-- re-run rotates the same webhook, worker and read token instead of adding new ones, and an
-- operator can see whether the last run finished (complete) and which Gitea secrets it set.
create table ci_bootstrap (
    label            text        primary key check (label ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$'),
    owner            text        not null check (owner ~ '^[A-Za-z0-9_.-]{1,100}$'),
    repo             text        not null check (repo ~ '^[A-Za-z0-9_.-]{1,100}$'),
    webhook_id       uuid        not null references disk_image_webhook (id),
    worker_id        uuid        not null references worker (id),
    -- the read-scoped JWT minted for the runner (POWERNODE_API_TOKEN), revoked when rotated
    read_token_id    uuid        references api_token (id),
    secrets_set      text[]      not null default '{}',
    -- a fresh value each bootstrap: one that finds another here stops writing secrets (superseded)
    generation       uuid        not null,
    complete         boolean     not null,
    error            text        check (length(error) <= 1000),
    bootstrapped_by  text        not null check (length(bootstrapped_by) between 1 and 200),
    bootstrapped_at  timestamptz not null
);
