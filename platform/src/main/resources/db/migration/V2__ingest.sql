-- Ingest: db-scheduler's table, provenance columns, and delivery de-duplication that also records repeats.

create table scheduled_tasks (
    task_name            text                     not null,
    task_instance        text                     not null,
    task_data            bytea,
    execution_time       timestamp with time zone not null,
    picked               boolean                  not null,
    picked_by            text,
    last_success         timestamp with time zone,
    last_failure         timestamp with time zone,
    consecutive_failures integer,
    last_heartbeat       timestamp with time zone,
    version              bigint                   not null,
    priority             smallint,
    primary key (task_name, task_instance)
);
create index scheduled_tasks_execution_time on scheduled_tasks (execution_time);
create index scheduled_tasks_last_heartbeat on scheduled_tasks (last_heartbeat);
create index scheduled_tasks_priority_execution_time on scheduled_tasks (priority desc, execution_time asc);

alter table disk_image_publication
    add column run_id             text check (length(run_id) <= 200),
    add column delivery_id        text check (length(delivery_id) <= 200),
    -- which key or identity satisfied the policy (not serialized; see the spec's note on cosign_identity)
    add column verified_by        text,
    -- the last transient failure while retrying; error_message is for the final failure
    add column last_attempt_error text,
    add column next_attempt_at    timestamptz;

alter table webhook_delivery
    add column duplicate_of uuid references webhook_delivery (id);
drop index webhook_delivery_accepted_once;
create unique index webhook_delivery_accepted_once
    on webhook_delivery (webhook_id, delivery_id) where http_status = 202 and duplicate_of is null;
create index webhook_delivery_by_webhook on webhook_delivery (webhook_id, received_at desc);
