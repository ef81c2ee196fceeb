package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.PageRequest;
import dev.powernode.server.shared.PublicationStatus;
import dev.powernode.server.signing.VerifiedArtifact;
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

    Optional<DiskImagePublication> lockById(UUID id) {
        return jdbc.sql("select * from disk_image_publication where id = :id for update")
                .param("id", id)
                .query(PublicationRepository::map)
                .optional();
    }

    /** The current publication of a triple, locked. */
    Optional<DiskImagePublication> lockActive(UUID platformId, ArtifactFamily family, Arch arch) {
        return jdbc.sql("""
                select * from disk_image_publication
                where node_platform_id = :platform and artifact_family = :family and arch = :arch and active
                for update
                """)
                .param("platform", platformId)
                .param("family", family.value())
                .param("arch", arch.value())
                .query(PublicationRepository::map)
                .optional();
    }

    /** A live (queued, verifying, published or retired) publication of a triple with this manifest digest. */
    Optional<DiskImagePublication> findLiveByDigest(
            UUID platformId, ArtifactFamily family, Arch arch, String manifestDigest) {
        return jdbc.sql("""
                select * from (
                    -- each branch reads its partial index (announced_once, by_manifest_digest)
                    select * from disk_image_publication
                    where manifest_digest = :digest and build_time is not null and node_platform_id = :platform
                      and artifact_family = :family and arch = :arch
                      and status in ('queued', 'verifying', 'published', 'retired')
                    union all
                    select * from disk_image_publication
                    where manifest_digest = :digest and build_time is null and node_platform_id = :platform
                      and artifact_family = :family and arch = :arch
                      and status in ('queued', 'verifying', 'published', 'retired')
                ) live
                order by created_at, id limit 1
                """)
                .param("digest", manifestDigest)
                .param("platform", platformId)
                .param("family", family.value())
                .param("arch", arch.value())
                .query(PublicationRepository::map)
                .optional();
    }

    void insert(NewPublication n, UUID id, Instant now) {
        jdbc.sql("""
                insert into disk_image_publication (id, node_platform_id, artifact_family, arch, status, active,
                    firmware_ref, git_sha, oci_ref, sha256, size_bytes, attempt_count, webhook_id, webhook_label,
                    triggered_by_worker_id, run_id, delivery_id, upload_signature, upload_media_type, build_time,
                    created_at, updated_at)
                values (:id, :platform, :family, :arch, :status, false, :firmwareRef, :gitSha, :ociRef, :sha256,
                    :size, 0, :webhookId, :webhookLabel, :workerId, :runId, :deliveryId, :uploadSignature,
                    :uploadMediaType, :buildTime, :now, :now)
                """)
                .param("id", id)
                .param("platform", n.nodePlatformId())
                .param("family", n.family().value())
                .param("arch", n.arch().value())
                .param("status", n.initialStatus().value())
                .param("firmwareRef", n.firmwareRef())
                .param("gitSha", n.gitSha())
                .param("ociRef", n.ociRef())
                .param("sha256", n.sha256())
                .param("size", n.sizeBytes())
                .param("webhookId", n.webhookId())
                .param("webhookLabel", n.webhookLabel())
                .param("workerId", n.workerId())
                .param("runId", n.runId())
                .param("deliveryId", n.deliveryId())
                .param("uploadSignature", n.uploadSignature())
                .param("uploadMediaType", n.uploadMediaType())
                .param("buildTime", n.buildTime() == null ? null : Timestamp.from(n.buildTime()))
                .param("now", Timestamp.from(now))
                .update();
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

    /** Records that bytes of an awaiting upload arrived (its idle time starts again). */
    void touchUpload(UUID id, Instant now) {
        jdbc.sql("""
                update disk_image_publication set updated_at = :now where id = :id and status = 'awaiting_upload'
                """).param("id", id).param("now", Timestamp.from(now)).update();
    }

    List<DiskImagePublication> awaitingUploadIdleSince(Instant cutoff, int limit) {
        return jdbc.sql("""
                select * from disk_image_publication
                where status = 'awaiting_upload' and updated_at < :cutoff
                order by updated_at limit :limit
                """)
                .param("cutoff", Timestamp.from(cutoff))
                .param("limit", limit)
                .query(PublicationRepository::map)
                .list();
    }

    /** The upload, locked, if it is still awaiting bytes and idle since before {@code cutoff}. */
    Optional<DiskImagePublication> lockIdleUpload(UUID id, Instant cutoff) {
        return jdbc.sql("""
                select * from disk_image_publication
                where id = :id and status = 'awaiting_upload' and updated_at < :cutoff
                for update
                """)
                .param("id", id)
                .param("cutoff", Timestamp.from(cutoff))
                .query(PublicationRepository::map)
                .optional();
    }

    /** Bytes announced by uploads still awaiting them (what they may yet write). */
    long awaitingUploadBytes() {
        return jdbc.sql("""
                select coalesce(sum(size_bytes), 0) from disk_image_publication where status = 'awaiting_upload'
                """).query(Long.class).single();
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

    void purge(UUID id, Instant now) {
        jdbc.sql("""
                update disk_image_publication set status = 'purged', active = false, purged_at = :now, updated_at = :now
                where id = :id
                """).param("id", id).param("now", Timestamp.from(now)).update();
    }

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
                .query(PublicationRepository::map)
                .list();
    }

    void retire(UUID id, Instant now) {
        jdbc.sql("""
                update disk_image_publication set status = 'retired', active = false, retired_at = :now,
                    updated_at = :now where id = :id
                """).param("id", id).param("now", Timestamp.from(now)).update();
    }

    void markPublished(
            UUID id,
            String signatureDigest,
            List<String> attachedDigests,
            UUID fileObjectId,
            UUID priorFileObjectId,
            boolean active,
            long size,
            String verifiedBy,
            boolean bundle,
            boolean attestation,
            String predicate,
            Instant now) {
        jdbc.sql("""
                update disk_image_publication set status = 'published', active = :active, file_object_id = :file,
                    prior_file_object_id = :prior, size_bytes = :size, verified_by = :verifiedBy,
                    cosign_bundle_present = :bundle, attestation_present = :attestation,
                    attestation_predicate = :predicate, signature_digest = :signatureDigest,
                    attached_digests = :attached, verified_at = :now, published_at = :now,
                    error_message = null, last_attempt_error = null, next_attempt_at = null, updated_at = :now
                where id = :id
                """)
                .param("id", id)
                .param("active", active)
                .param("file", fileObjectId)
                .param("prior", priorFileObjectId)
                .param("size", size)
                .param("verifiedBy", verifiedBy)
                .param("bundle", bundle)
                .param("attestation", attestation)
                .param("predicate", predicate)
                .param("signatureDigest", signatureDigest)
                .param("attached", attachedDigests.toArray(String[]::new))
                .param("now", Timestamp.from(now))
                .update();
    }

    void insertFileObject(
            UUID id, String storage, String location, String mediaType, String sha256, long size, Instant now) {
        jdbc.sql("""
                insert into file_object (id, storage, location, media_type, sha256, size_bytes, created_at)
                values (:id, :storage, :location, :mediaType, :sha256, :size, :now)
                """)
                .param("id", id)
                .param("storage", storage)
                .param("location", location)
                .param("mediaType", mediaType)
                .param("sha256", sha256)
                .param("size", size)
                .param("now", Timestamp.from(now))
                .update();
    }

    /** Records the blobs a publication's manifest references (none for direct uploads). */
    void insertBlobs(UUID publicationId, String registry, List<VerifiedArtifact.Blob> blobs) {
        if (registry == null || blobs.isEmpty()) {
            return;
        }
        jdbc.sql("""
                insert into publication_blob (publication_id, registry, digest, size_bytes)
                select :id, :registry, d, s from unnest(:digests, :sizes) as b(d, s)
                on conflict do nothing
                """)
                .param("id", publicationId)
                .param("registry", registry)
                .param(
                        "digests",
                        blobs.stream().map(VerifiedArtifact.Blob::digest).toArray(String[]::new))
                .param("sizes", blobs.stream().map(VerifiedArtifact.Blob::size).toArray(Long[]::new))
                .update();
    }

    /**
     * Bytes of the blobs that these publications referenced and no publication that is not purged
     * still references: what the registry's garbage collection can now free. Called after they are
     * marked purged; one that was not (it became current again) keeps its blobs referenced.
     */
    long unreferencedBlobBytes(List<UUID> ids) {
        if (ids.isEmpty()) {
            return 0;
        }
        return jdbc.sql("""
                select coalesce(sum(size_bytes), 0) from (
                    select distinct b.registry, b.digest, b.size_bytes
                    from publication_blob b
                    where b.publication_id = any(:ids)
                      and not exists (
                          select 1 from publication_blob o join disk_image_publication q on q.id = o.publication_id
                          where o.registry = b.registry and o.digest = b.digest
                            and q.status <> 'purged')
                ) unreferenced
                """)
                .param("ids", ids.toArray(UUID[]::new))
                .query(Long.class)
                .single();
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

    private static Instant instant(Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }
}
