package dev.powernode.server.node;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Nodes and their reports.
 *
 * @param reportRate reports per second one node may send (token bucket per node, per replica; 0 =
 *     no limit)
 * @param reportBurst how many reports one node may send at once
 * @param staleAfter a node not seen for this long counts as stale in the convergence view
 * @param reportMaxAge recorded reports older than this are deleted by the retention job (a node's
 *     last report stays on its row)
 */
@ConfigurationProperties("powernode.nodes")
public record NodeProperties(Double reportRate, Integer reportBurst, Duration staleAfter, Duration reportMaxAge) {
    public NodeProperties {
        reportRate = reportRate == null ? 0.2 : reportRate;
        reportBurst = reportBurst == null ? 10 : reportBurst;
        staleAfter = staleAfter == null ? Duration.ofMinutes(10) : staleAfter;
        reportMaxAge = reportMaxAge == null ? Duration.ofDays(30) : reportMaxAge;
    }
}
