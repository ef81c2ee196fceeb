package dev.powernode.server.publication;

import dev.powernode.server.signing.VerifiedArtifact;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * What a published publication's artifact is made of: its stored primary artifact
 * ({@code file_object}) and the registry blobs its manifest references ({@code publication_blob}),
 * so that retention can say what the registry's garbage collection frees (docs/operations.md).
 */
@Repository
class ArtifactRecords {
    private final JdbcClient jdbc;

    ArtifactRecords(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Records where the verified artifact lives, as {@code id}. */
    void insertFileObject(UUID id, VerifiedArtifact verified, Instant now) {
        jdbc.sql("""
                insert into file_object (id, storage, location, media_type, sha256, size_bytes, created_at)
                values (:id, :storage, :location, :mediaType, :sha256, :size, :now)
                """)
                .param("id", id)
                .param("storage", verified.storage())
                .param("location", verified.location())
                .param("mediaType", verified.mediaType())
                .param("sha256", verified.sha256())
                .param("size", verified.size())
                .param("now", Timestamp.from(now))
                .update();
    }

    /** Records the blobs a publication's manifest references (none for direct uploads). */
    void insertBlobs(VerifiedArtifact verified) {
        List<VerifiedArtifact.Blob> blobs = verified.blobs();
        if (verified.registry() == null || blobs.isEmpty()) {
            return;
        }
        jdbc.sql("""
                insert into publication_blob (publication_id, registry, digest, size_bytes)
                select :id, :registry, d, s from unnest(:digests, :sizes) as b(d, s)
                on conflict do nothing
                """)
                .param("id", verified.publicationId())
                .param("registry", verified.registry())
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
}
