package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.UUID;

/** Reads a {@code disk_image_publication} row; every query of the module that returns whole rows uses it. */
final class PublicationRows {
    private PublicationRows() {}

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
                instant(rs.getTimestamp("created_at")),
                rs.getString("run_id"),
                rs.getString("delivery_id"),
                rs.getString("verified_by"),
                rs.getString("last_attempt_error"),
                instant(rs.getTimestamp("next_attempt_at")),
                rs.getString("upload_signature"),
                rs.getString("upload_media_type"),
                instant(rs.getTimestamp("build_time")));
    }

    static Instant instant(Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }

    static Timestamp timestamp(Instant at) {
        return at == null ? null : Timestamp.from(at);
    }
}
