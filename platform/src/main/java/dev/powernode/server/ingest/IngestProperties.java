package dev.powernode.server.ingest;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The ingest job's retries. The scheduler that runs it is configured under the same prefix
 * ({@code jobs/JobsProperties}).
 *
 * @param maxAttempts attempts before a transiently failing ingest is marked failed
 * @param backoffBase first retry delay; doubles per attempt up to {@code backoffMax}
 * @param backoffMax longest retry delay
 */
@ConfigurationProperties("powernode.ingest")
public record IngestProperties(int maxAttempts, Duration backoffBase, Duration backoffMax) {
    public IngestProperties {
        maxAttempts = maxAttempts <= 0 ? 5 : maxAttempts;
        backoffBase = backoffBase == null ? Duration.ofSeconds(5) : backoffBase;
        backoffMax = backoffMax == null ? Duration.ofMinutes(5) : backoffMax;
    }

    /** Delay before attempt {@code n + 1} after {@code n} failed ones. */
    public Duration backoff(int failedAttempts) {
        Duration d = backoffBase.multipliedBy(1L << Math.min(20, Math.max(0, failedAttempts - 1)));
        return d.compareTo(backoffMax) > 0 ? backoffMax : d;
    }
}
