package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.PageRequest;
import dev.powernode.server.shared.PublicationStatus;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class PublicationRepository {
    private final JdbcClient jdbc;

    PublicationRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<DiskImagePublication> findById(UUID id) {
        return jdbc.sql("select * from disk_image_publication where id = :id")
                .param("id", id)
                .query(PublicationRepository::map)
                .optional();
    }

    List<DiskImagePublication> page(PublicationQuery q, PageRequest page) {
        Map<String, Object> params = new HashMap<>();
        String where = where(q, params);
        params.put("limit", page.perPage());
        params.put("offset", page.offset());
        return jdbc.sql("select * from disk_image_publication" + where
                        + " order by created_at desc, id desc limit :limit offset :offset")
                .params(params)
                .query(PublicationRepository::map)
                .list();
    }

    long count(PublicationQuery q) {
        Map<String, Object> params = new HashMap<>();
        String where = where(q, params);
        return jdbc.sql("select count(*) from disk_image_publication" + where)
                .params(params)
                .query(Long.class)
                .single();
    }

    private static String where(PublicationQuery q, Map<String, Object> params) {
        List<String> clauses = new ArrayList<>();
        if (q.nodePlatformId() != null) {
            clauses.add("node_platform_id = :platform");
            params.put("platform", q.nodePlatformId());
        }
        if (q.status() != null) {
            clauses.add("status = :status");
            params.put("status", q.status().value());
        }
        if (q.arch() != null) {
            clauses.add("arch = :arch");
            params.put("arch", q.arch().value());
        }
        if (q.family() != null) {
            clauses.add("artifact_family = :family");
            params.put("family", q.family().value());
        }
        return clauses.isEmpty() ? "" : " where " + String.join(" and ", clauses);
    }

    static DiskImagePublication map(ResultSet rs, int row) throws SQLException {
        long size = rs.getLong("size_bytes");
        Long sizeBytes = rs.wasNull() ? null : size;
        return new DiskImagePublication(
                rs.getObject("id", UUID.class),
                rs.getObject("node_platform_id", UUID.class),
                ArtifactFamily.parse("artifact_family", rs.getString("artifact_family")),
                Arch.parse("arch", rs.getString("arch")),
                PublicationStatus.parse("status", rs.getString("status")),
                rs.getBoolean("active"),
                rs.getString("firmware_ref"),
                rs.getString("git_sha"),
                rs.getString("oci_ref"),
                rs.getString("sha256"),
                sizeBytes,
                rs.getInt("attempt_count"),
                rs.getString("attestation_predicate"),
                rs.getBoolean("attestation_present"),
                rs.getBoolean("cosign_bundle_present"),
                rs.getObject("file_object_id", UUID.class),
                rs.getObject("prior_file_object_id", UUID.class),
                rs.getObject("webhook_id", UUID.class),
                rs.getString("webhook_label"),
                rs.getObject("triggered_by_worker_id", UUID.class),
                instant(rs.getTimestamp("verified_at")),
                instant(rs.getTimestamp("published_at")),
                instant(rs.getTimestamp("retired_at")),
                instant(rs.getTimestamp("purged_at")),
                rs.getString("error_message"),
                instant(rs.getTimestamp("created_at")));
    }

    private static Instant instant(Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }
}
