package dev.powernode.server.upload;

import dev.powernode.common.oci.OciRef;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Direct uploads (the worker API).
 *
 * @param repository where uploaded files are pushed, {@code host[:port]/path} (an allowed registry
 *     with the platform's credentials); each platform's uploads go to {@code <repository>/<slug>}.
 *     Unset: direct uploads are refused at announcement
 * @param maxSize the largest {@code size_bytes} an upload may announce
 * @param chunkSize bytes held in memory per upload in progress and sent to the registry at a time
 *     (also how much a replica that dies mid-upload can lose: the worker resends from the last
 *     whole chunk)
 * @param expiry an upload still {@code awaiting_upload} this long after its last bytes arrived
 *     (or its announcement) is abandoned: its registry session is cancelled and it fails
 * @param expiryCron when the sweep for abandoned uploads runs (db-scheduler cron, seconds first)
 */
@ConfigurationProperties("powernode.upload")
public record UploadProperties(
        @Nullable String repository, DataSize maxSize, DataSize chunkSize, Duration expiry, String expiryCron) {
    public UploadProperties {
        repository = repository == null || repository.isBlank() ? null : repository.strip();
        maxSize = maxSize == null ? DataSize.ofGigabytes(16) : maxSize;
        chunkSize = chunkSize == null ? DataSize.ofMegabytes(8) : chunkSize;
        expiry = expiry == null ? Duration.ofHours(24) : expiry;
        expiryCron = expiryCron == null || expiryCron.isBlank() ? "0 */10 * * * *" : expiryCron;
        if (maxSize.toBytes() <= 0 || expiry.isNegative() || expiry.isZero()) {
            throw new IllegalStateException("POWERNODE_UPLOAD_MAX_SIZE and POWERNODE_UPLOAD_EXPIRY must be positive");
        }
        if (chunkSize.toBytes() < 64 * 1024 || chunkSize.toBytes() > 256L * 1024 * 1024) {
            throw new IllegalStateException("POWERNODE_UPLOAD_CHUNK_SIZE must be between 64KB and 256MB");
        }
        if (repository != null) {
            try {
                OciRef.parse(repository + ":probe");
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException(
                        "POWERNODE_UPLOAD_REPOSITORY must look like host[:port]/path: " + e.getMessage());
            }
        }
    }
}
