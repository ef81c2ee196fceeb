package dev.powernode.server.storage;

import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import dev.powernode.server.oci.Registries;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.VerificationFailure;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Direct uploads stored where every other artifact is: the bytes go, chunk by chunk, into a
 * registry upload session as they arrive, hashed on the way; when the declared size is reached
 * the SHA-256 must match, the session is committed as a blob (the registry re-checks the digest)
 * and a disk-image manifest is pushed over it. Nothing is kept on the replica: the session's
 * location, the bytes received and the SHA-256 state over them are a row in {@code
 * upload_session}, so any replica continues an upload another one started, and retention, the node
 * agent and provisioning read the result like any pushed artifact.
 *
 * <p>Two requests for one upload at once cannot both append: each chunk's row update is
 * conditional on the offset it started from, and the registry refuses a chunk at an offset it has
 * passed. A session the registry no longer knows (purged, or refused after a replica died in the
 * middle of a chunk) is started again from byte 0, and the caller is told so.
 */
@Component
public class RegistryUploads {
    /** Where a direct upload goes, and how much of it is held in memory at a time. */
    public record Target(String registry, String repository, int chunkBytes) {}

    private record Session(String registry, String repository, String location, long received, byte[] state) {}

    private final JdbcClient jdbc;
    private final Registries registries;
    private final Clock clock;

    RegistryUploads(JdbcClient jdbc, Registries registries, Clock clock) {
        this.jdbc = jdbc;
        this.registries = registries;
        this.clock = clock;
    }

    /** Bytes received so far for this publication (0 when nothing yet). */
    public long received(UUID publicationId) {
        return session(publicationId).map(Session::received).orElse(0L);
    }

    /**
     * Appends {@code in} at {@code offset} (which must equal what was received so far) without
     * going past {@code declaredSize}. Returns the stored artifact when this completes it and it
     * hashes to {@code declaredSha256}; empty when more bytes are expected. A complete upload with
     * the wrong hash is cancelled and refused ({@code upload/digest-mismatch}). A registry that
     * fails is UNAVAILABLE ({@code upload/registry-unavailable}) with the offset kept.
     */
    public Optional<StoredArtifact> append(
            UUID publicationId,
            long offset,
            InputStream in,
            long declaredSize,
            String declaredSha256,
            Target target,
            Map<String, String> annotations) {
        RegistryClient client = registries.client();
        Session s = session(publicationId).orElse(null);
        if (s == null) {
            requireOffset(offset, 0);
            s = open(publicationId, target, client);
        }
        requireOffset(offset, s.received());
        SHA256Digest sha = new SHA256Digest(s.state());
        String location = s.location();
        long total = s.received();
        byte[] buffer = new byte[target.chunkBytes()];
        while (true) {
            int n = readChunk(in, buffer);
            if (n == 0) {
                break;
            }
            if (total + n > declaredSize) {
                throw new DomainException(
                        ErrorKind.INVALID,
                        "upload/too-long",
                        "upload is longer than the declared size_bytes " + declaredSize);
            }
            sha.update(buffer, 0, n);
            String next = appendChunk(publicationId, s, location, total, buffer, n, client);
            int saved = jdbc.sql("""
                    update upload_session set location = :location, received = :received, hash_state = :state,
                        updated_at = :now
                    where publication_id = :id and received = :from
                    """)
                    .param("id", publicationId)
                    .param("location", next)
                    .param("received", total + n)
                    .param("state", sha.getEncodedState())
                    .param("now", Timestamp.from(clock.instant()))
                    .param("from", total)
                    .update();
            if (saved == 0) {
                throw DomainException.conflict(
                        "upload/in-progress", "another upload to " + publicationId + " is running");
            }
            location = next;
            total += n;
        }
        if (total < declaredSize) {
            return Optional.empty();
        }
        byte[] hash = new byte[32];
        sha.doFinal(hash, 0);
        String actual = HexFormat.of().formatHex(hash);
        if (!actual.equals(declaredSha256)) {
            discard(publicationId);
            throw new VerificationFailure(
                    "upload/digest-mismatch",
                    "digest mismatch: the uploaded bytes hash to sha256:" + actual + ", declared sha256:"
                            + declaredSha256);
        }
        return Optional.of(
                commit(publicationId, s, location, Digest.parse("sha256:" + actual), declaredSize, annotations));
    }

    /** Cancels the upload's registry session and forgets it (a failed, expired or finished upload). */
    public void discard(UUID publicationId) {
        session(publicationId).ifPresent(s -> {
            jdbc.sql("delete from upload_session where publication_id = :id")
                    .param("id", publicationId)
                    .update();
            registries.client().cancelUpload(s.registry(), s.repository(), s.location());
        });
    }

    /** Uploads whose sessions have had no bytes since {@code cutoff}, oldest first. */
    public List<UUID> idleSince(java.time.Instant cutoff, int limit) {
        return jdbc.sql("""
                select publication_id from upload_session where updated_at < :cutoff order by updated_at limit :limit
                """)
                .param("cutoff", Timestamp.from(cutoff))
                .param("limit", limit)
                .query(UUID.class)
                .list();
    }

    private Session open(UUID publicationId, Target target, RegistryClient client) {
        String location;
        try {
            location = client.startUpload(target.registry(), target.repository());
        } catch (RegistryException e) {
            throw unavailable(e, 0);
        }
        jdbc.sql("""
                insert into upload_session (publication_id, registry, repository, location, received, hash_state,
                    created_at, updated_at)
                values (:id, :registry, :repository, :location, 0, :state, :now, :now)
                on conflict (publication_id) do nothing
                """)
                .param("id", publicationId)
                .param("registry", target.registry())
                .param("repository", target.repository())
                .param("location", location)
                .param("state", new SHA256Digest().getEncodedState())
                .param("now", Timestamp.from(clock.instant()))
                .update();
        return session(publicationId)
                .orElseThrow(() -> DomainException.conflict(
                        "upload/not-awaiting", "the upload of " + publicationId + " ended meanwhile"));
    }

    private String appendChunk(
            UUID publicationId, Session s, String location, long at, byte[] buffer, int n, RegistryClient client) {
        try {
            return client.appendUpload(s.registry(), s.repository(), location, at, buffer, n);
        } catch (RegistryException e) {
            if (e.httpStatus() == 416) {
                // another request appended at this offset first
                throw DomainException.conflict(
                        "upload/in-progress", "another upload to " + publicationId + " is running");
            }
            if (e.kind() == RegistryException.Kind.NOT_FOUND
                    || e.kind() == RegistryException.Kind.INVALID && e.httpStatus() == 400) {
                // the registry lost or refused the session (purged, or left mid-chunk by a replica
                // that died): its bytes are gone, so the upload starts again
                jdbc.sql("delete from upload_session where publication_id = :id and received = :at")
                        .param("id", publicationId)
                        .param("at", at)
                        .update();
                client.cancelUpload(s.registry(), s.repository(), location);
                throw DomainException.conflict(
                        "upload/restart",
                        "the registry no longer holds this upload's session (" + e.getMessage()
                                + "); upload must continue at byte 0");
            }
            throw unavailable(e, at);
        }
    }

    private StoredArtifact commit(
            UUID publicationId, Session s, String location, Digest digest, long size, Map<String, String> annotations) {
        RegistryClient client = registries.client();
        try {
            // a retry after a commit that went through but was not recorded finds the blob there
            if (!client.blobExists(s.registry(), s.repository(), digest)) {
                client.commitUpload(s.registry(), s.repository(), location, digest, size, MediaTypes.OCTET_STREAM);
            }
            Descriptor layer = new Descriptor(
                    MediaTypes.OCTET_STREAM,
                    digest,
                    size,
                    Map.of("org.opencontainers.image.title", "upload-" + publicationId),
                    null);
            DiskImageArtifacts.Pushed pushed = DiskImageArtifacts.pushManifest(
                    client, s.registry(), s.repository(), List.of(layer), annotations, null);
            Descriptor manifest =
                    Descriptor.of(MediaTypes.OCI_MANIFEST, pushed.ref().digest(), pushed.manifest().length);
            return new StoredArtifact(
                    publicationId,
                    pushed.ref(),
                    layer,
                    List.of(manifest, DiskImageArtifacts.emptyConfig(), layer),
                    sink -> client.fetchBlob(s.registry(), s.repository(), layer, sink, null));
        } catch (RegistryException e) {
            if (e.kind() == RegistryException.Kind.DIGEST_MISMATCH) {
                discard(publicationId);
                throw new VerificationFailure(
                        "upload/digest-mismatch",
                        "digest mismatch: the registry refused the upload: " + e.getMessage());
            }
            throw unavailable(e, size);
        }
    }

    private Optional<Session> session(UUID publicationId) {
        return jdbc.sql("""
                select registry, repository, location, received, hash_state from upload_session
                where publication_id = :id
                """)
                .param("id", publicationId)
                .query((rs, n) -> new Session(
                        rs.getString("registry"),
                        rs.getString("repository"),
                        rs.getString("location"),
                        rs.getLong("received"),
                        rs.getBytes("hash_state")))
                .optional();
    }

    private static void requireOffset(long offset, long have) {
        if (offset != have) {
            throw new DomainException(
                    ErrorKind.CONFLICT,
                    "upload/offset-mismatch",
                    "upload must continue at byte " + have + ", not " + offset);
        }
    }

    private static DomainException unavailable(RegistryException e, long offset) {
        return new DomainException(
                ErrorKind.UNAVAILABLE,
                "upload/registry-unavailable",
                "the registry did not take the upload (" + e.getMessage() + "); continue at byte " + offset
                        + " when it is back");
    }

    /** Fills {@code buffer} from {@code in} as far as it goes; 0 only at the end of the stream. */
    private static int readChunk(InputStream in, byte[] buffer) {
        try {
            return in.readNBytes(buffer, 0, buffer.length);
        } catch (IOException e) {
            throw new UncheckedIOException("the upload's connection broke: " + e.getMessage(), e);
        }
    }
}
