package dev.powernode.server.upload;

import dev.powernode.common.oci.OciRef;
import dev.powernode.server.ingest.AnnouncementRules;
import dev.powernode.server.platform.NodePlatform;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.publication.DiskImagePublication;
import dev.powernode.server.publication.NewPublication;
import dev.powernode.server.publication.PublicationStatus;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.FieldError;
import dev.powernode.server.shared.VerificationFailure;
import dev.powernode.server.shared.Violations;
import dev.powernode.server.signing.SignatureVerifier;
import dev.powernode.server.signing.VerificationPolicy;
import dev.powernode.server.signing.VerifiedArtifact;
import dev.powernode.server.storage.RegistryUploads;
import dev.powernode.server.storage.StoredArtifact;
import java.io.InputStream;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.stereotype.Service;

/**
 * The spec's DiskImageDirectUploadIngestService (its name is kept so a reader of the spec finds it
 * here): the fallback for runners without a registry: announce ({@code awaiting_upload}), stream the
 * file in (hashed on the way into a registry upload session, resumable at the received length on
 * any replica), then verify its sign-blob signature against the platform's policy and publish it
 * like any other artifact in the registry. A partial or mismatching file is never published; an
 * unsigned one never either.
 */
@Service
public class DiskImageDirectUploadIngestService {
    static final int MAX_SIGNATURE = 64 * 1024;
    /** Abandoned uploads expired per sweep; the next sweep takes the rest. */
    static final int EXPIRY_BATCH = 100;

    private final Publications publications;
    private final NodePlatforms platforms;
    private final RegistryUploads store;
    private final SignatureVerifier signatures;
    private final UploadProperties limits;
    private final Clock clock;
    private final ConcurrentHashMap<UUID, ReentrantLock> locks = new ConcurrentHashMap<>();

    DiskImageDirectUploadIngestService(
            Publications publications,
            NodePlatforms platforms,
            RegistryUploads store,
            SignatureVerifier signatures,
            UploadProperties limits,
            Clock clock) {
        this.publications = publications;
        this.platforms = platforms;
        this.store = store;
        this.signatures = signatures;
        this.limits = limits;
        this.clock = clock;
    }

    /**
     * Records the announced upload; the worker then sends the bytes. Refused before anything is
     * stored: invalid fields (INVALID), a signature that cannot satisfy the platform's policy for
     * the announced SHA-256 (INVALID, {@code signature/<check>}), a size over {@code
     * POWERNODE_UPLOAD_MAX_SIZE} (TOO_LARGE, {@code upload/too-large}), and any upload when no
     * upload repository is configured (UNAVAILABLE, {@code upload/not-configured}).
     */
    public DiskImagePublication create(UUID workerId, String workerLabel, DirectUpload u) {
        if (limits.repository() == null) {
            throw new DomainException(
                    ErrorKind.UNAVAILABLE,
                    "upload/not-configured",
                    "direct uploads are off: the platform has no POWERNODE_UPLOAD_REPOSITORY to store them in"
                            + " (push to a registry and call the webhook instead)");
        }
        Violations v = new Violations();
        AnnouncementRules.Announcement a = AnnouncementRules.check(u, v);
        NodePlatform platform = null;
        if (a != null) {
            platform = platforms.find(a.platformRef()).orElse(null);
            if (platform == null) {
                v.add("platform", AnnouncementRules.unknownPlatform(a.platformRef()));
            } else if (!platform.hasVerificationPolicy()) {
                v.add("platform", AnnouncementRules.noVerificationPolicy(platform.slug()));
            }
        }
        if (u.signature() == null || u.signature().isBlank() || u.signature().length() > MAX_SIGNATURE) {
            v.add(
                    "signature",
                    "a cosign sign-blob signature of the file (base64, or a Sigstore bundle as JSON text; at most "
                            + MAX_SIGNATURE + " characters) is required: unsigned uploads are never published");
        }
        if (u.mediaType() != null && u.mediaType().length() > 255) {
            v.add("media_type", "at most 255 characters");
        }
        v.throwIfAny();
        long maxSize = limits.maxSize().toBytes();
        if (a.sizeBytes() > maxSize) {
            throw new DomainException(
                    ErrorKind.TOO_LARGE,
                    "upload/too-large",
                    "size_bytes " + a.sizeBytes() + " is over the limit of " + maxSize
                            + " bytes (POWERNODE_UPLOAD_MAX_SIZE)",
                    List.of(new FieldError("size_bytes", "must be at most " + maxSize)));
        }
        try {
            signatures.checkAnnouncedBlob(VerificationPolicy.of(platform), a.sha256(), u.signature());
        } catch (VerificationFailure e) {
            throw new DomainException(
                    ErrorKind.INVALID, e.code(), e.getMessage(), List.of(new FieldError("signature", e.getMessage())));
        }
        return publications.enqueue(new NewPublication(
                platform.id(),
                a.family(),
                a.arch(),
                PublicationStatus.AWAITING_UPLOAD,
                null,
                a.sha256(),
                a.sizeBytes(),
                a.gitSha(),
                a.firmwareRef(),
                a.runId(),
                null,
                null,
                null,
                workerId,
                "worker:" + workerLabel,
                "direct upload announced",
                u.signature().strip(),
                u.mediaType() == null ? "application/octet-stream" : u.mediaType(),
                null)); // an upload's signature carries no build time
    }

    /**
     * Fails uploads that stayed {@code awaiting_upload} for {@code POWERNODE_UPLOAD_EXPIRY} without
     * bytes arriving and cancels their registry sessions. Fail first, under the row lock: bytes
     * arriving meanwhile (in any replica) keep an upload alive. A session left by a crash between
     * the two steps goes with its publication's next sweep, or the registry purges it. Idempotent.
     * Returns how many uploads expired.
     */
    int expireAbandoned() {
        int expired = 0;
        for (DiskImagePublication p : publications.idleUploads(limits.expiry(), EXPIRY_BATCH)) {
            ReentrantLock lock = locks.computeIfAbsent(p.id(), k -> new ReentrantLock());
            if (!lock.tryLock()) {
                continue; // receiving bytes in this replica right now
            }
            try {
                long received = store.received(p.id());
                String reason = "upload/expired: abandoned with " + received + " of " + sizeOf(p)
                        + " bytes received and none for " + limits.expiry()
                        + " (POWERNODE_UPLOAD_EXPIRY); its registry session was cancelled";
                if (publications.expireIdleUpload(p.id(), limits.expiry(), reason)) {
                    store.discard(p.id());
                    expired++;
                }
            } finally {
                lock.unlock();
                locks.remove(p.id(), lock);
            }
        }
        // leftovers, e.g. a crash between failing and cancelling: only when untouched as long as an
        // abandoned upload, so a session being written for a row not yet visible is never taken
        for (UUID id : store.idleSince(clock.instant().minus(limits.expiry()), EXPIRY_BATCH)) {
            if (publications
                    .find(id)
                    .map(DiskImagePublication::status)
                    .filter(PublicationStatus.AWAITING_UPLOAD::equals)
                    .isEmpty()) {
                store.discard(id);
            }
        }
        return expired;
    }

    public UploadState state(UUID workerId, UUID publicationId) {
        DiskImagePublication p = owned(workerId, publicationId);
        long received = p.status() == PublicationStatus.AWAITING_UPLOAD ? store.received(publicationId) : sizeOf(p);
        return new UploadState(p, received);
    }

    /**
     * Receives bytes from {@code offset} (the number received so far; anything else is a
     * CONFLICT naming the right offset). When the file is complete it is verified and published
     * (or failed) before this returns.
     */
    public UploadState upload(UUID workerId, UUID publicationId, long offset, InputStream body) {
        DiskImagePublication p = owned(workerId, publicationId);
        if (p.status() != PublicationStatus.AWAITING_UPLOAD) {
            throw DomainException.conflict(
                    "upload/not-awaiting",
                    "publication " + publicationId + " is " + p.status().value() + ", not awaiting_upload");
        }
        ReentrantLock lock = locks.computeIfAbsent(publicationId, k -> new ReentrantLock());
        if (!lock.tryLock()) {
            throw DomainException.conflict("upload/in-progress", "another upload to " + publicationId + " is running");
        }
        try {
            publications.recordUploadProgress(publicationId);
            Optional<StoredArtifact> stored;
            try {
                stored =
                        store.append(publicationId, offset, body, p.sizeBytes(), p.sha256(), target(p), annotations(p));
            } catch (DomainException e) {
                if (e.code().equals("upload/digest-mismatch") || e.code().equals("upload/too-long")) {
                    store.discard(publicationId);
                    publications.beginAttempt(publicationId);
                    publications.fail(
                            publicationId, e instanceof VerificationFailure f ? f.errorMessage() : e.getMessage());
                }
                throw e;
            }
            if (stored.isEmpty()) {
                publications.recordUploadProgress(publicationId);
                return new UploadState(publications.get(publicationId), store.received(publicationId));
            }
            publications.beginAttempt(publicationId);
            try {
                NodePlatform platform = platforms.get(p.nodePlatformId());
                VerifiedArtifact verified = signatures.verifyBlob(
                        VerificationPolicy.of(platform), stored.get(), p.uploadSignature(), p.uploadMediaType());
                publications.publish(verified);
                store.discard(publicationId);
            } catch (DomainException e) {
                publications.fail(
                        publicationId, e instanceof VerificationFailure f ? f.errorMessage() : e.getMessage());
            }
            DiskImagePublication done = publications.get(publicationId);
            return new UploadState(done, sizeOf(done));
        } finally {
            lock.unlock();
            locks.remove(publicationId, lock);
        }
    }

    private DiskImagePublication owned(UUID workerId, UUID publicationId) {
        DiskImagePublication p = publications.get(publicationId);
        if (!workerId.equals(p.triggeredByWorkerId()) || p.uploadSignature() == null) {
            throw new DomainException(
                    ErrorKind.NOT_FOUND,
                    "publication/not-found",
                    "no direct upload '" + publicationId + "' of this worker");
        }
        return p;
    }

    /** Each platform's uploads in their own repository under the configured one. */
    private RegistryUploads.Target target(DiskImagePublication p) {
        OciRef base = OciRef.parse(limits.repository() + ":t");
        String slug = platforms.get(p.nodePlatformId()).slug();
        return new RegistryUploads.Target(base.registry(), base.repository() + "/" + slug, (int)
                limits.chunkSize().toBytes());
    }

    /** What the manifest says about the upload; the publication id makes each upload's manifest its own. */
    private static Map<String, String> annotations(DiskImagePublication p) {
        Map<String, String> a = new java.util.TreeMap<>();
        a.put("dev.powernode.publication", p.id().toString());
        a.put("dev.powernode.artifact-family", p.artifactFamily().value());
        a.put("dev.powernode.arch", p.arch().value());
        if (p.gitSha() != null) {
            a.put("org.opencontainers.image.revision", p.gitSha());
        }
        return a;
    }

    private static long sizeOf(DiskImagePublication p) {
        return p.sizeBytes() == null ? 0 : p.sizeBytes();
    }
}
