-- The fleet's convergence without a scan of every node (issue 15: convergence p99 < 50 ms at 10,000
-- nodes). node_fleet_count holds how many live nodes of each triple last reported each publication,
-- healthy or not. A trigger on node keeps it exact in the transaction that changes a node, and fires
-- only on a change of publication, health or liveness (an enrolment, a boot event, a revocation):
-- heartbeats, which are nearly every report, do not touch it. The convergence query then reads a
-- handful of rows per triple, whatever the fleet's size.
--
-- Each key is split into 8 stripes (by node id) so that a fleet rolling out at once does not queue
-- every boot report behind one counter row's lock until commit; a reader sums the stripes.
-- publication_id 00000000-0000-0000-0000-000000000000 stands for "never reported" (a primary key has
-- no nulls). Rows that fall to zero are deleted, so the table holds only what nodes run now.
create table node_fleet_count (
    node_platform_id uuid     not null references node_platform (id),
    artifact_family  text     not null,
    arch             text     not null,
    publication_id   uuid     not null,
    unhealthy        boolean  not null,
    stripe           smallint not null check (stripe between 0 and 7),
    nodes            bigint   not null check (nodes >= 0),
    primary key (node_platform_id, artifact_family, arch, publication_id, unhealthy, stripe)
);

create function node_fleet_count_add(p uuid, f text, a text, pub uuid, bad boolean, s smallint, delta int)
    returns void language plpgsql as $$
begin
    if delta > 0 then
        insert into node_fleet_count as c (node_platform_id, artifact_family, arch, publication_id, unhealthy, stripe, nodes)
        values (p, f, a, pub, bad, s, delta)
        on conflict (node_platform_id, artifact_family, arch, publication_id, unhealthy, stripe)
            do update set nodes = c.nodes + excluded.nodes;
    else
        update node_fleet_count set nodes = nodes + delta
        where node_platform_id = p and artifact_family = f and arch = a and publication_id = pub
          and unhealthy = bad and stripe = s;
        if not found then
            -- the counts drifted from the nodes (nothing should make them): said in PostgreSQL's log,
            -- without failing the node's own change
            raise warning 'node_fleet_count: no row to decrement for platform %, %/%, publication %, unhealthy %, stripe %',
                p, f, a, pub, bad, s;
        end if;
        delete from node_fleet_count
        where node_platform_id = p and artifact_family = f and arch = a and publication_id = pub
          and unhealthy = bad and stripe = s and nodes = 0;
    end if;
end $$;

create function node_fleet_count_move() returns trigger language plpgsql as $$
declare
    never constant uuid := '00000000-0000-0000-0000-000000000000';
    old_live boolean := tg_op <> 'INSERT' and old.revoked_at is null;
    new_live boolean := tg_op <> 'DELETE' and new.revoked_at is null;
    o_pub uuid; o_bad boolean; o_stripe smallint;
    n_pub uuid; n_bad boolean; n_stripe smallint;
begin
    if old_live then
        o_pub := coalesce(old.last_publication_id, never);
        o_bad := coalesce(old.last_result <> 'healthy', false);
        o_stripe := get_byte(uuid_send(old.id), 15) % 8;
    end if;
    if new_live then
        n_pub := coalesce(new.last_publication_id, never);
        n_bad := coalesce(new.last_result <> 'healthy', false);
        n_stripe := get_byte(uuid_send(new.id), 15) % 8;
    end if;
    if old_live and new_live then
        if old.node_platform_id = new.node_platform_id and old.artifact_family = new.artifact_family
                and old.arch = new.arch and o_pub = n_pub and o_bad = n_bad and o_stripe = n_stripe then
            return null;
        end if;
        -- both rows are locked in one order (by key), whichever way a node moves, so two nodes
        -- moving in opposite directions wait for each other instead of deadlocking
        if (old.node_platform_id, old.artifact_family, old.arch, o_pub, o_bad, o_stripe)
                < (new.node_platform_id, new.artifact_family, new.arch, n_pub, n_bad, n_stripe) then
            perform node_fleet_count_add(old.node_platform_id, old.artifact_family, old.arch, o_pub, o_bad, o_stripe, -1);
            perform node_fleet_count_add(new.node_platform_id, new.artifact_family, new.arch, n_pub, n_bad, n_stripe, 1);
        else
            perform node_fleet_count_add(new.node_platform_id, new.artifact_family, new.arch, n_pub, n_bad, n_stripe, 1);
            perform node_fleet_count_add(old.node_platform_id, old.artifact_family, old.arch, o_pub, o_bad, o_stripe, -1);
        end if;
    elsif old_live then
        perform node_fleet_count_add(old.node_platform_id, old.artifact_family, old.arch, o_pub, o_bad, o_stripe, -1);
    elsif new_live then
        perform node_fleet_count_add(new.node_platform_id, new.artifact_family, new.arch, n_pub, n_bad, n_stripe, 1);
    end if;
    return null;
end $$;

create trigger node_fleet_count_on_insert_or_delete after insert or delete on node
    for each row execute function node_fleet_count_move();
create trigger node_fleet_count_on_change
    after update of node_platform_id, artifact_family, arch, last_publication_id, last_result, revoked_at on node
    for each row
    when (old.node_platform_id is distinct from new.node_platform_id
          or old.artifact_family is distinct from new.artifact_family
          or old.arch is distinct from new.arch
          or old.last_publication_id is distinct from new.last_publication_id
          or old.last_result is distinct from new.last_result
          or old.revoked_at is distinct from new.revoked_at)
    execute function node_fleet_count_move();

-- the nodes enrolled before this migration
insert into node_fleet_count (node_platform_id, artifact_family, arch, publication_id, unhealthy, stripe, nodes)
select node_platform_id, artifact_family, arch, coalesce(last_publication_id, '00000000-0000-0000-0000-000000000000'),
       coalesce(last_result <> 'healthy', false), get_byte(uuid_send(id), 15) % 8, count(*)
from node where revoked_at is null
group by 1, 2, 3, 4, 5, 6;
