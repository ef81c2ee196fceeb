package dev.powernode.server.retention;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Retention of published artifacts.
 *
 * @param cron when the sweep runs (db-scheduler cron, seconds first; default hourly)
 * @param grace a retired publication stays restorable (rollback target) at least this long
 * @param failedMaxAge failed publications older than this are purged too
 */
@ConfigurationProperties("powernode.retention")
public record RetentionProperties(String cron, Duration grace, Duration failedMaxAge) {
    public RetentionProperties {
        cron = cron == null || cron.isBlank() ? "0 0 * * * *" : cron;
        grace = grace == null ? Duration.ofHours(24) : grace;
        failedMaxAge = failedMaxAge == null ? Duration.ofDays(7) : failedMaxAge;
    }
}
