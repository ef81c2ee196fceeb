package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.signing.VerifiedArtifact;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * The {@code disk_image_publication} row of one publication: finding and locking it, and the
 * statement each lifecycle step writes. Whether a step is allowed is decided before (see
 * {@link Lifecycle}); the history of steps is {@link PublicationHistory}'s.
 */
@Repository
class PublicationRepository {
    private final JdbcClient jdbc;

    PublicationRepository(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    Optional<DiskImagePublication> findById(UUID id) {
        return jdbc.sql("select * from disk_image_publication where id = :id")
                .param("id", id)
                .query(PublicationRows::map)
                .optional();
    }

    Optional<DiskImagePublication> lockById(UUID id) {
        return jdbc.sql("select * from disk_image_publication where id = :id for update")
                .param("id", id)
                .query(PublicationRows::map)
                .optional();
    }

    /** The publication, or NOT_FOUND ({@code publication/not-found}). */
    DiskImagePublication get(UUID id) {
        return findById(id).orElseThrow(() -> notFound(id));
    }

    /** The publication, locked until the transaction ends, or NOT_FOUND. */
    DiskImagePublication lock(UUID id) {
        return lockById(id).orElseThrow(() -> notFound(id));
    }

    static DomainException notFound(UUID id) {
        return DomainException.notFound("publication/not-found", "no disk image publication '" + id + "'");
    }

    /** The current publication of a triple. */
    Optional<DiskImagePublication> findActive(UUID platformId, ArtifactFamily family, Arch arch) {
        return ofTriple(platformId, family, arch, "active").stream().findFirst();
    }

    /** The retired publications of a triple. */
    List<DiskImagePublication> retiredOf(UUID platformId, ArtifactFamily family, Arch arch) {
        return ofTriple(platformId, family, arch, "status = 'retired'");
    }

    /** The current publication of a triple, locked. */
    Optional<DiskImagePublication> lockActive(UUID platformId, ArtifactFamily family, Arch arch) {
        return ofTriple(platformId, family, arch, "active for update").stream().findFirst();
    }

    /** The current publications of every triple of a platform. */
    List<DiskImagePublication> activeOf(UUID platformId) {
        return jdbc.sql("select * from disk_image_publication where node_platform_id = :platform and active")
                .param("platform", platformId)
                .query(PublicationRows::map)
                .list();
    }

    /** The publications of a triple that pass {@code condition} (a constant SQL fragment). */
    private List<DiskImagePublication> ofTriple(UUID platformId, ArtifactFamily family, Arch arch, String condition) {
        return jdbc.sql("select * from disk_image_publication"
                        + " where node_platform_id = :platform and artifact_family = :family and arch = :arch and "
                        + condition)
                .param("platform", platformId)
                .param("family", family.value())
                .param("arch", arch.value())
                .query(PublicationRows::map)
                .list();
    }

    /** Records a new publication and returns it as stored. */
    DiskImagePublication insert(NewPublication n, UUID id, Instant now) {
        return jdbc.sql("""
                insert into disk_image_publication (id, node_platform_id, artifact_family, arch, status, active,
                    firmware_ref, git_sha, oci_ref, sha256, size_bytes, attempt_count, webhook_id, webhook_label,
                    triggered_by_worker_id, run_id, delivery_id, upload_signature, upload_media_type, build_time,
                    created_at, updated_at)
                values (:id, :platform, :family, :arch, :status, false, :firmwareRef, :gitSha, :ociRef, :sha256,
                    :size, 0, :webhookId, :webhookLabel, :workerId, :runId, :deliveryId, :uploadSignature,
                    :uploadMediaType, :buildTime, :now, :now)
                returning *
                """)
                .param("id", id)
                .param("platform", n.nodePlatformId())
                .params(n.columns())
                .param("status", n.initialStatus().value())
                .param("uploadSignature", n.uploadSignature())
                .param("uploadMediaType", n.uploadMediaType())
                .param("now", Timestamp.from(now))
                .query(PublicationRows::map)
                .single();
    }

    void startAttempt(UUID id, Instant now) {
        jdbc.sql("""
                update disk_image_publication set status = 'verifying', attempt_count = attempt_count + 1,
                    next_attempt_at = null, updated_at = :now where id = :id
                """).param("id", id).param("now", Timestamp.from(now)).update();
    }

    void requeue(UUID id, String reason, Instant next, Instant now) {
        jdbc.sql("""
                update disk_image_publication set status = 'queued', last_attempt_error = :reason,
                    next_attempt_at = :next, updated_at = :now where id = :id
                """)
                .param("id", id)
                .param("reason", reason)
                .param("next", Timestamp.from(next))
                .param("now", Timestamp.from(now))
                .update();
    }

    void fail(UUID id, String reason, Instant now) {
        jdbc.sql("""
                update disk_image_publication set status = 'failed', active = false, error_message = :reason,
                    next_attempt_at = null, updated_at = :now where id = :id
                """)
                .param("id", id)
                .param("reason", reason)
                .param("now", Timestamp.from(now))
                .update();
    }

    /**
     * The verified artifact's facts, stored as {@code fileObjectId}; {@code active} when it becomes
     * its triple's current publication (then {@code priorFileObjectId} is the one it replaces).
     */
    void markPublished(
            VerifiedArtifact verified, UUID fileObjectId, UUID priorFileObjectId, boolean active, Instant now) {
        jdbc.sql("""
                update disk_image_publication set status = 'published', active = :active, file_object_id = :file,
                    prior_file_object_id = :prior, size_bytes = :size, verified_by = :verifiedBy,
                    oci_ref = coalesce(oci_ref, :ociRef),
                    cosign_bundle_present = :bundle, attestation_present = :attestation,
                    attestation_predicate = :predicate, signature_digest = :signatureDigest,
                    attached_digests = :attached, verified_at = :now, published_at = :now,
                    error_message = null, last_attempt_error = null, next_attempt_at = null, updated_at = :now
                where id = :id
                """)
                .param("id", verified.publicationId())
                .param("active", active)
                .param("file", fileObjectId)
                .param("prior", priorFileObjectId)
                .param("size", verified.size())
                .param("verifiedBy", verified.verifiedBy())
                .param("ociRef", verified.ociRef())
                .param("bundle", verified.cosignBundlePresent())
                .param("attestation", verified.attestationPresent())
                .param("predicate", verified.attestationPredicate())
                .param("signatureDigest", verified.signatureDigest())
                .param("attached", verified.attachedDigests().toArray(String[]::new))
                .param("now", Timestamp.from(now))
                .update();
    }

    void retire(UUID id, Instant now) {
        jdbc.sql("""
                update disk_image_publication set status = 'retired', active = false, retired_at = :now,
                    updated_at = :now where id = :id
                """).param("id", id).param("now", Timestamp.from(now)).update();
    }

    /** Makes a published or retired publication the current one of its triple again. */
    void activate(UUID id, UUID priorFileObjectId, Instant now) {
        jdbc.sql("""
                update disk_image_publication set status = 'published', active = true, retired_at = null,
                    prior_file_object_id = coalesce(:prior, prior_file_object_id), updated_at = :now
                where id = :id
                """)
                .param("id", id)
                .param("prior", priorFileObjectId)
                .param("now", Timestamp.from(now))
                .update();
    }
}
