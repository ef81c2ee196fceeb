package dev.powernode.server.auth;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * API token checks. The signing key itself is {@code shared/KeyMaterial}'s.
 *
 * @param jwtClockSkew how far past {@code exp} (or before {@code nbf}) an API token is still
 *     accepted, for clocks that disagree a little; 0 to 5 minutes, default 5 s
 */
@ConfigurationProperties("powernode")
public record AuthProperties(Duration jwtClockSkew) {
    static final Duration MAX_JWT_CLOCK_SKEW = Duration.ofMinutes(5);

    public AuthProperties {
        if (jwtClockSkew == null) {
            jwtClockSkew = Duration.ofSeconds(5);
        }
        if (jwtClockSkew.isNegative() || jwtClockSkew.compareTo(MAX_JWT_CLOCK_SKEW) > 0) {
            throw new IllegalStateException("POWERNODE_JWT_CLOCK_SKEW must be between 0s and 5m, not " + jwtClockSkew);
        }
    }
}
