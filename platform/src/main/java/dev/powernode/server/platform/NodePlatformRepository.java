package dev.powernode.server.platform;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.PageRequest;
import java.sql.Array;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

@Repository
class NodePlatformRepository {
    private static final RowMapper<NodePlatform> ROW = NodePlatformRepository::map;

    private final JdbcClient jdbc;

    NodePlatformRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(NodePlatform p) {
        jdbc.sql("""
                insert into node_platform (id, slug, name, build_script, cosign_identity_regexp, cosign_oidc_issuer,
                    cosign_public_keys, require_tlog, disk_image_retention_count, primary_artifact_family, primary_arch,
                    created_at, updated_at)
                values (:id, :slug, :name, :buildScript, :identity, :issuer, :keys, :requireTlog, :retention,
                    :family, :arch, :createdAt, :updatedAt)
                """)
                .params(settings(p))
                .param("slug", p.slug())
                .param("createdAt", Timestamp.from(p.createdAt()))
                .update();
    }

    void updateSettings(NodePlatform p) {
        jdbc.sql("""
                update node_platform set name = :name, build_script = :buildScript,
                    cosign_identity_regexp = :identity, cosign_oidc_issuer = :issuer, cosign_public_keys = :keys,
                    require_tlog = :requireTlog, disk_image_retention_count = :retention,
                    primary_artifact_family = :family, primary_arch = :arch, updated_at = :updatedAt
                where id = :id
                """).params(settings(p)).update();
    }

    /** The parameters of the columns an operator sets, with the row's id and update time. */
    private static Map<String, Object> settings(NodePlatform p) {
        Map<String, Object> params = new HashMap<>();
        params.put("id", p.id());
        params.put("name", p.name());
        params.put("buildScript", p.buildScript());
        params.put("identity", p.cosignIdentityRegexp());
        params.put("issuer", p.cosignOidcIssuer());
        params.put("keys", p.cosignPublicKeys().toArray(String[]::new));
        params.put("requireTlog", p.requireTlog());
        params.put("retention", p.diskImageRetentionCount());
        params.put("family", p.primaryArtifactFamily().value());
        params.put("arch", p.primaryArch().value());
        params.put("updatedAt", Timestamp.from(p.updatedAt()));
        return params;
    }

    void pointTo(
            UUID id,
            ArtifactFamily family,
            Arch arch,
            String ociRef,
            String gitSha,
            UUID fileObjectId,
            java.time.Instant now) {
        jdbc.sql("""
                update node_platform set disk_image_oci_ref = :ociRef, disk_image_git_sha = :gitSha,
                    disk_image_file_object_id = :file, updated_at = :now
                where id = :id and primary_artifact_family = :family and primary_arch = :arch
                """)
                .param("id", id)
                .param("family", family.value())
                .param("arch", arch.value())
                .param("ociRef", ociRef)
                .param("gitSha", gitSha)
                .param("file", fileObjectId)
                .param("now", Timestamp.from(now))
                .update();
    }

    void recordOutcome(UUID id, PublicationOutcome status, String error, java.time.Instant now) {
        jdbc.sql("""
                update node_platform set disk_image_publication_status = :status,
                    disk_image_publication_error = :error, updated_at = :now
                where id = :id
                """)
                .param("id", id)
                .param("status", status.value())
                .param("error", error)
                .param("now", Timestamp.from(now))
                .update();
    }

    Optional<NodePlatform> findById(UUID id) {
        return one("where id = :key", id);
    }

    /** Locks the row for the rest of the transaction (concurrent PATCHes apply one after the other). */
    Optional<NodePlatform> lockById(UUID id) {
        return one("where id = :key for update", id);
    }

    Optional<NodePlatform> findBySlug(String slug) {
        return one("where slug = :key", slug);
    }

    private Optional<NodePlatform> one(String condition, Object key) {
        return jdbc.sql("select * from node_platform " + condition)
                .param("key", key)
                .query(ROW)
                .optional();
    }

    /** Each platform's {@code disk_image_retention_count}: one platform's, or (null) every one's. */
    List<RetentionCount> retentionCounts(UUID id) {
        return jdbc.sql("""
                select id, slug, disk_image_retention_count from node_platform
                where cast(:id as uuid) is null or id = cast(:id as uuid)
                """)
                .param("id", id)
                .query((rs, n) -> new RetentionCount(
                        rs.getObject("id", UUID.class), rs.getString("slug"), rs.getInt("disk_image_retention_count")))
                .list();
    }

    List<NodePlatform> page(PageRequest page) {
        return jdbc.sql("select * from node_platform order by slug limit :limit offset :offset")
                .param("limit", page.perPage())
                .param("offset", page.offset())
                .query(ROW)
                .list();
    }

    long count() {
        return jdbc.sql("select count(*) from node_platform").query(Long.class).single();
    }

    private static NodePlatform map(ResultSet rs, int row) throws SQLException {
        String status = rs.getString("disk_image_publication_status");
        return new NodePlatform(
                rs.getObject("id", UUID.class),
                rs.getString("slug"),
                rs.getString("name"),
                rs.getString("build_script"),
                rs.getString("cosign_identity_regexp"),
                rs.getString("cosign_oidc_issuer"),
                strings(rs.getArray("cosign_public_keys")),
                (Boolean) rs.getObject("require_tlog"),
                rs.getInt("disk_image_retention_count"),
                ArtifactFamily.parse("primary_artifact_family", rs.getString("primary_artifact_family")),
                Arch.parse("primary_arch", rs.getString("primary_arch")),
                rs.getString("disk_image_oci_ref"),
                rs.getString("disk_image_git_sha"),
                rs.getObject("disk_image_file_object_id", UUID.class),
                status == null ? null : PublicationOutcome.parse("disk_image_publication_status", status),
                rs.getString("disk_image_publication_error"),
                rs.getTimestamp("created_at").toInstant(),
                rs.getTimestamp("updated_at").toInstant());
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : Arrays.asList((String[]) array.getArray());
    }
}
