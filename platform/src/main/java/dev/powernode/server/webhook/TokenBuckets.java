package dev.powernode.server.webhook;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One token bucket per key (a source address, a webhook), in memory: the limits hold per replica,
 * so N replicas behind a balancer admit up to N times the configured rate. Buckets that have
 * refilled are dropped once the map grows past {@link #MAX_KEYS}, so a caller spraying keys cannot
 * grow it without bound.
 */
final class TokenBuckets {
    static final int MAX_KEYS = 10_000;

    private final double ratePerSecond;
    private final int burst;
    private final Clock clock;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

    /** {@code ratePerSecond} 0 (or less) turns the limit off. */
    TokenBuckets(double ratePerSecond, int burst, Clock clock) {
        this.ratePerSecond = ratePerSecond;
        this.burst = Math.max(1, burst);
        this.clock = clock;
    }

    /** Takes a token for {@code key}: 0 when the call may proceed, else the seconds until one is due (≥ 1). */
    long take(String key) {
        if (ratePerSecond <= 0) {
            return 0;
        }
        long now = clock.millis();
        if (buckets.size() > MAX_KEYS) {
            buckets.values().removeIf(b -> b.full(now));
        }
        Bucket b = buckets.computeIfAbsent(key, k -> new Bucket(now));
        return b.take(now);
    }

    private final class Bucket {
        private double tokens = burst;
        private long at;

        Bucket(long now) {
            this.at = now;
        }

        synchronized long take(long now) {
            refill(now);
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - tokens) / ratePerSecond));
        }

        synchronized boolean full(long now) {
            refill(now);
            return tokens >= burst;
        }

        private void refill(long now) {
            if (now > at) {
                tokens = Math.min(burst, tokens + (now - at) / 1000.0 * ratePerSecond);
                at = now;
            }
        }
    }
}
