package dev.powernode.server.upload;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Direct uploads (the worker API).
 *
 * @param maxSize the largest {@code size_bytes} an upload may announce
 * @param freeSpaceMargin an upload is refused (507) unless the upload directory's file system
 *     keeps at least this much free beyond the announced size
 * @param expiry an upload still {@code awaiting_upload} this long after its last bytes arrived
 *     (or its announcement) is abandoned: its partial bytes are deleted and it fails
 * @param expiryCron when the sweep for abandoned uploads runs (db-scheduler cron, seconds first)
 */
@ConfigurationProperties("powernode.upload")
public record UploadProperties(DataSize maxSize, DataSize freeSpaceMargin, Duration expiry, String expiryCron) {
    public UploadProperties {
        maxSize = maxSize == null ? DataSize.ofGigabytes(16) : maxSize;
        freeSpaceMargin = freeSpaceMargin == null ? DataSize.ofGigabytes(1) : freeSpaceMargin;
        expiry = expiry == null ? Duration.ofHours(24) : expiry;
        expiryCron = expiryCron == null || expiryCron.isBlank() ? "0 */10 * * * *" : expiryCron;
        if (maxSize.toBytes() <= 0 || freeSpaceMargin.isNegative() || expiry.isNegative() || expiry.isZero()) {
            throw new IllegalStateException(
                    "POWERNODE_UPLOAD_MAX_SIZE and POWERNODE_UPLOAD_EXPIRY must be positive, the free-space"
                            + " margin not negative");
        }
    }
}
