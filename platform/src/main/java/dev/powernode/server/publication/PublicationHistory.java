package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.PageRequest;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The append-only audit trail (docs/promotion-and-retention.md): each state transition of a
 * publication and each move of a triple's current-publication pointer, and the platform's trail
 * that merges both, newest first.
 */
@Repository
class PublicationHistory {
    private final JdbcClient jdbc;

    PublicationHistory(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void transition(UUID id, PublicationStatus from, PublicationStatus to, String actor, String reason, Instant at) {
        jdbc.sql("""
                insert into disk_image_publication_transition (publication_id, from_status, to_status, actor, reason, at)
                values (:id, :from, :to, :actor, :reason, :at)
                """)
                .param("id", id)
                .param("from", from == null ? null : from.value())
                .param("to", to.value())
                .param("actor", actor)
                .param("reason", reason)
                .param("at", Timestamp.from(at))
                .update();
    }

    List<Transition> transitions(UUID id) {
        return jdbc.sql("select * from disk_image_publication_transition where publication_id = :id order by id")
                .param("id", id)
                .query((rs, n) -> new Transition(
                        rs.getString("from_status") == null
                                ? null
                                : PublicationStatus.parse("from_status", rs.getString("from_status")),
                        PublicationStatus.parse("to_status", rs.getString("to_status")),
                        rs.getString("actor"),
                        rs.getString("reason"),
                        rs.getTimestamp("at").toInstant()))
                .list();
    }

    void recordPointerChange(
            UUID platformId,
            ArtifactFamily family,
            Arch arch,
            UUID from,
            UUID to,
            String actor,
            String reason,
            Instant at) {
        jdbc.sql("""
                insert into disk_image_pointer_change (node_platform_id, artifact_family, arch, from_publication_id,
                    to_publication_id, actor, reason, at)
                values (:platform, :family, :arch, :from, :to, :actor, :reason, :at)
                """)
                .param("platform", platformId)
                .param("family", family.value())
                .param("arch", arch.value())
                .param("from", from)
                .param("to", to)
                .param("actor", actor)
                .param("reason", reason)
                .param("at", Timestamp.from(at))
                .update();
    }

    long auditCount(UUID platformId) {
        return jdbc.sql("""
                select (select count(*) from disk_image_pointer_change where node_platform_id = :platform)
                     + (select count(*) from disk_image_publication_transition t
                        join disk_image_publication p on p.id = t.publication_id where p.node_platform_id = :platform)
                """).param("platform", platformId).query(Long.class).single();
    }

    List<AuditEntry> audit(UUID platformId, PageRequest page) {
        return jdbc.sql("""
                select * from (
                    select 'pointer' as kind, c.at, c.id as seq, c.actor, c.reason, c.to_publication_id as publication_id,
                        c.artifact_family, c.arch, c.from_publication_id::text as from_value,
                        c.to_publication_id::text as to_value
                    from disk_image_pointer_change c where c.node_platform_id = :platform
                    union all
                    select 'transition', t.at, t.id, t.actor, t.reason, t.publication_id, p.artifact_family, p.arch,
                        t.from_status, t.to_status
                    from disk_image_publication_transition t
                    join disk_image_publication p on p.id = t.publication_id
                    where p.node_platform_id = :platform
                ) entries
                order by at desc, kind, seq desc
                limit :limit offset :offset
                """)
                .param("platform", platformId)
                .param("limit", page.perPage())
                .param("offset", page.offset())
                .query((rs, n) -> new AuditEntry(
                        rs.getString("kind"),
                        rs.getTimestamp("at").toInstant(),
                        rs.getString("actor"),
                        rs.getString("reason"),
                        rs.getObject("publication_id", UUID.class),
                        ArtifactFamily.parse("artifact_family", rs.getString("artifact_family")),
                        Arch.parse("arch", rs.getString("arch")),
                        rs.getString("from_value"),
                        rs.getString("to_value")))
                .list();
    }
}
