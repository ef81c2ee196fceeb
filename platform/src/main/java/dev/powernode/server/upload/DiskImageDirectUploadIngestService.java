package dev.powernode.server.upload;

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
import dev.powernode.server.storage.LocalArtifactStore;
import dev.powernode.server.storage.StoredArtifact;
import java.io.InputStream;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.stereotype.Service;

/**
 * The spec's DiskImageDirectUploadIngestService (its name is kept so a reader of the spec finds it
 * here): the fallback for runners without a registry: announce ({@code awaiting_upload}), stream the
 * file in (hashed on the way, resumable at the received length), then verify its sign-blob
 * signature against the platform's policy and publish it like any other artifact. A partial or
 * mismatching file is never published; an unsigned one never either.
 */
@Service
public class DiskImageDirectUploadIngestService {
    static final int MAX_SIGNATURE = 64 * 1024;
    /** Abandoned uploads expired per sweep; the next sweep takes the rest. */
    static final int EXPIRY_BATCH = 100;

    private final Publications publications;
    private final NodePlatforms platforms;
    private final LocalArtifactStore store;
    private final SignatureVerifier signatures;
    private final UploadProperties limits;
    private final Clock clock;
    private final ConcurrentHashMap<UUID, ReentrantLock> locks = new ConcurrentHashMap<>();

    DiskImageDirectUploadIngestService(
            Publications publications,
            NodePlatforms platforms,
            LocalArtifactStore store,
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
     * POWERNODE_UPLOAD_MAX_SIZE} (TOO_LARGE, {@code upload/too-large}), and a size the upload
     * directory cannot hold beside what other uploads may still write plus a margin
     * (INSUFFICIENT_STORAGE, {@code upload/insufficient-storage}).
     */
    public DiskImagePublication create(UUID workerId, String workerLabel, DirectUpload u) {
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
        requireStorageFor(a.sizeBytes());
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
     * Free space must cover the announced size, what uploads still awaiting their bytes may yet
     * write, and the configured margin. Checked at announcement: a later upload is not promised
     * space, it is only refused the start of one that cannot fit.
     */
    private void requireStorageFor(long size) {
        long pending = Math.max(0, publications.awaitingUploadBytes() - store.partialBytes());
        long free = store.usableSpace();
        long needed = size + pending + limits.freeSpaceMargin().toBytes();
        if (free < needed) {
            throw new DomainException(
                    ErrorKind.INSUFFICIENT_STORAGE,
                    "upload/insufficient-storage",
                    "not enough free space for " + size + " bytes: " + free + " bytes free, " + pending
                            + " promised to pending uploads, "
                            + limits.freeSpaceMargin().toBytes()
                            + " kept free (POWERNODE_UPLOAD_FREE_SPACE_MARGIN)");
        }
    }

    /**
     * Fails uploads that stayed {@code awaiting_upload} for {@code POWERNODE_UPLOAD_EXPIRY} without
     * bytes arriving and deletes their partial bytes; then deletes partial bytes untouched for as
     * long whose publication no longer awaits them (a crash between the two steps). Fail
     * first, under the row lock: bytes arriving meanwhile (in any replica) keep an upload alive, and
     * its file is never deleted under it. Idempotent. Returns how many uploads expired.
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
                        + " (POWERNODE_UPLOAD_EXPIRY); the partial bytes were deleted";
                if (publications.expireIdleUpload(p.id(), limits.expiry(), reason)) {
                    store.discard(p.id());
                    expired++;
                }
            } finally {
                lock.unlock();
                locks.remove(p.id(), lock);
            }
        }
        // leftovers, e.g. a crash between failing and deleting: only when untouched as long as an
        // abandoned upload, so a file being written for a row not yet visible is never taken
        java.time.Instant cutoff = clock.instant().minus(limits.expiry());
        store.partials().forEach((id, modified) -> {
            if (modified.isBefore(cutoff)
                    && publications
                            .find(id)
                            .map(DiskImagePublication::status)
                            .filter(PublicationStatus.AWAITING_UPLOAD::equals)
                            .isEmpty()) {
                store.discard(id);
            }
        });
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
                stored = store.append(publicationId, offset, body, p.sizeBytes(), p.sha256());
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
        if (!workerId.equals(p.triggeredByWorkerId()) || p.ociRef() != null) {
            throw new DomainException(
                    ErrorKind.NOT_FOUND,
                    "publication/not-found",
                    "no direct upload '" + publicationId + "' of this worker");
        }
        return p;
    }

    private static long sizeOf(DiskImagePublication p) {
        return p.sizeBytes() == null ? 0 : p.sizeBytes();
    }
}
