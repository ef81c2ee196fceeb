package dev.powernode.server.shared;

import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One token bucket per key (a source address, a webhook, a node), in memory: the limits hold per replica,
 * so N replicas behind a balancer admit up to N times the configured rate. Once the map holds more
 * than {@code maxKeys} buckets, the ones that have refilled are dropped, at most once a second (a
 * sweep is O(n), so not on every call). While a spray of new keys keeps it at twice that, keys not
 * seen before share one overflow bucket: memory stays bounded and the spray is limited as one
 * caller, while keys already known keep their own buckets.
 */
public final class TokenBuckets {
    public static final int MAX_KEYS = 10_000;
    static final long SWEEP_INTERVAL_MS = 1_000;

    private final double ratePerSecond;
    private final int burst;
    private final Clock clock;
    private final int maxKeys;
    private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
    private final AtomicLong nextSweep = new AtomicLong(Long.MIN_VALUE);
    private final Bucket overflow;

    /** {@code ratePerSecond} 0 (or less) turns the limit off. */
    public TokenBuckets(double ratePerSecond, int burst, Clock clock) {
        this(ratePerSecond, burst, clock, MAX_KEYS);
    }

    public TokenBuckets(double ratePerSecond, int burst, Clock clock, int maxKeys) {
        this.ratePerSecond = ratePerSecond;
        this.burst = Math.max(1, burst);
        this.clock = clock;
        this.maxKeys = maxKeys;
        this.overflow = new Bucket(clock.millis());
    }

    /** Takes a token for {@code key}: 0 when the call may proceed, else the seconds until one is due (≥ 1). */
    public long take(String key) {
        if (ratePerSecond <= 0) {
            return 0;
        }
        long now = clock.millis();
        if (buckets.size() > maxKeys) {
            sweep(now);
        }
        Bucket b = buckets.get(key);
        if (b == null) {
            b = buckets.size() >= 2 * maxKeys ? overflow : buckets.computeIfAbsent(key, k -> new Bucket(now));
        }
        return b.take(now);
    }

    /** How many keys have a bucket of their own. */
    int size() {
        return buckets.size();
    }

    private void sweep(long now) {
        long due = nextSweep.get();
        if (now >= due && nextSweep.compareAndSet(due, now + SWEEP_INTERVAL_MS)) {
            buckets.values().removeIf(b -> b.full(now));
        }
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
