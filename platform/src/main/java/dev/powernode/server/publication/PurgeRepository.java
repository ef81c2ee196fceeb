package dev.powernode.server.publication;

import dev.powernode.server.platform.RetentionCount;
import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.sql.Array;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The set-at-a-time statements of a retention sweep (docs/promotion-and-retention.md): which
 * publications lie beyond their triple's count, and purging many of them in one statement. They
 * work on tens of thousands of rows, so each is one round trip.
 */
@Repository
class PurgeRepository {
    private final JdbcClient jdbc;

    PurgeRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /**
     * Ranks each triple's published and retired publications (the current one first, then the
     * newest by build: the signed build time, else the creation time, as promotion orders them)
     * and returns those beyond the platform's count that are not current and not retired after
     * {@code graceCutoff}, then the failed ones last changed before {@code failedCutoff}; only
     * for the platforms in {@code counts}.
     */
    List<PurgeCandidate> candidates(Collection<RetentionCount> counts, Instant graceCutoff, Instant failedCutoff) {
        return jdbc.sql("""
                with keep as (
                    select * from unnest(cast(:platforms as uuid[]), cast(:keeps as integer[])) as k(platform, count)
                ), ranked as (
                    select p.id, p.node_platform_id, p.artifact_family, p.arch, p.status, p.active,
                        p.retired_at, p.oci_ref, p.signature_digest, p.attached_digests, p.file_object_id,
                        k.count as keep,
                        row_number() over (partition by p.node_platform_id, p.artifact_family, p.arch
                                           order by p.active desc, coalesce(p.build_time, p.created_at) desc,
                                               p.created_at desc, p.id desc) as rank
                    from disk_image_publication p join keep k on k.platform = p.node_platform_id
                    where p.status in ('published', 'retired')
                ), candidates as (
                    select id, node_platform_id, artifact_family, arch, status, oci_ref, signature_digest,
                        attached_digests, file_object_id, cast(rank - 1 as integer) as kept_before
                    from ranked
                    where rank > keep and not active and (status = 'published' or retired_at < :graceCutoff)
                    union all
                    select p.id, p.node_platform_id, p.artifact_family, p.arch, p.status, p.oci_ref,
                        p.signature_digest, p.attached_digests, p.file_object_id, cast(null as integer)
                    from disk_image_publication p join keep k on k.platform = p.node_platform_id
                    where p.status = 'failed' and p.updated_at < :failedCutoff
                ), live_refs as (
                    -- artifacts that stay: used by a live publication that is not itself going
                    select q.oci_ref from disk_image_publication q
                    where q.status not in ('purged', 'failed') and q.oci_ref is not null
                      and q.id not in (select id from candidates)
                ), live_files as (
                    select fq.location from disk_image_publication q join file_object fq on fq.id = q.file_object_id
                    where q.status not in ('purged', 'failed') and fq.storage = 'local'
                      and q.id not in (select id from candidates)
                )
                select c.*, f.storage, f.location,
                    coalesce(c.oci_ref in (select oci_ref from live_refs), false)
                        or coalesce(f.storage = 'local' and f.location in (select location from live_files), false)
                        as shared
                from candidates c left join file_object f on f.id = c.file_object_id
                """)
                .param(
                        "platforms",
                        counts.stream().map(RetentionCount::platformId).toArray(UUID[]::new))
                .param("keeps", counts.stream().map(RetentionCount::keep).toArray(Integer[]::new))
                .param("graceCutoff", Timestamp.from(graceCutoff))
                .param("failedCutoff", Timestamp.from(failedCutoff))
                .query((rs, n) -> new PurgeCandidate(
                        rs.getObject("id", UUID.class),
                        rs.getObject("node_platform_id", UUID.class),
                        ArtifactFamily.parse("artifact_family", rs.getString("artifact_family")),
                        Arch.parse("arch", rs.getString("arch")),
                        PublicationStatus.parse("status", rs.getString("status")),
                        rs.getString("oci_ref"),
                        rs.getString("signature_digest"),
                        strings(rs.getArray("attached_digests")),
                        rs.getString("storage"),
                        rs.getString("location"),
                        rs.getBoolean("shared"),
                        rs.getObject("kept_before", Integer.class)))
                .list();
    }

    /**
     * Purges each of {@code ids} that still may be (inactive published, retired or failed) and
     * records its transition with its reason, in one statement. Returns how many it purged.
     */
    int purgeAll(List<UUID> ids, List<String> reasons, Instant now) {
        return jdbc.sql("""
                with input as (
                    select * from unnest(cast(:ids as uuid[]), cast(:reasons as text[])) as i(id, reason)
                ), purged as (
                    update disk_image_publication p
                    set status = 'purged', active = false, purged_at = :now, updated_at = :now
                    from input i, disk_image_publication old
                    where p.id = i.id and old.id = p.id and not p.active
                      and p.status in ('published', 'retired', 'failed')
                    returning p.id, old.status as from_status
                ), history as (
                    insert into disk_image_publication_transition (publication_id, from_status, to_status, actor,
                        reason, at)
                    select purged.id, purged.from_status, 'purged', 'system', 'retention: ' || i.reason, :now
                    from purged join input i on i.id = purged.id
                )
                select count(*) from purged
                """)
                .param("ids", ids.toArray(UUID[]::new))
                .param("reasons", reasons.toArray(String[]::new))
                .param("now", Timestamp.from(now))
                .query(Integer.class)
                .single();
    }

    /** The rows of {@code ids} that {@link #purgeAll} purged at {@code now}. */
    List<DiskImagePublication> purgedAt(List<UUID> ids, Instant now) {
        return jdbc.sql(
                        "select * from disk_image_publication where id = any(cast(:ids as uuid[])) and purged_at = :now")
                .param("ids", ids.toArray(UUID[]::new))
                .param("now", Timestamp.from(now))
                .query(PublicationRows::map)
                .list();
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : List.of((String[]) array.getArray());
    }
}
