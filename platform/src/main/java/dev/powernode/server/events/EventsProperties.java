package dev.powernode.server.events;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Outbound event delivery.
 *
 * @param pollInterval how often due deliveries are sent
 * @param backoffBase first retry delay of a failed delivery, doubling up to an hour
 */
@ConfigurationProperties("powernode.events")
public record EventsProperties(Duration pollInterval, Duration backoffBase) {
    public EventsProperties {
        pollInterval = pollInterval == null ? Duration.ofSeconds(2) : pollInterval;
        backoffBase = backoffBase == null ? Duration.ofSeconds(10) : backoffBase;
    }
}
