package dev.powernode.server.jobs;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The job scheduler of this replica. Bound under {@code powernode.ingest}, as {@code
 * ingest/IngestProperties} is, so the environment variables stay {@code POWERNODE_INGEST_*}
 * (README, Configuration): ingest is the job they were named after.
 *
 * @param enabled run background jobs (ingest, retention, notifications) in this replica (false:
 *     only accept and queue them)
 * @param threads concurrent jobs (ingests) per replica
 * @param pollingInterval how often the scheduler looks for due jobs
 * @param heartbeatInterval how often running jobs prove they are alive (a dead replica's jobs are
 *     revived after a few missed beats)
 */
@ConfigurationProperties("powernode.ingest")
public record JobsProperties(Boolean enabled, int threads, Duration pollingInterval, Duration heartbeatInterval) {
    public JobsProperties {
        enabled = enabled == null || enabled;
        threads = threads <= 0 ? 4 : threads;
        pollingInterval = pollingInterval == null ? Duration.ofSeconds(2) : pollingInterval;
        heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(5) : heartbeatInterval;
    }
}
