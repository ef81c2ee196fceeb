package dev.powernode.common.oci;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Bearer tokens per (registry, scope), kept until shortly before the token server says they expire. */
final class TokenCache {
    /** What the distribution token spec says to assume when a token response has no expires_in. */
    static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(60);

    private record Key(String registry, String scope) {}

    private record Entry(String token, Instant expiresAt) {}

    private final Map<Key, Entry> entries = new ConcurrentHashMap<>();
    private final Clock clock;

    TokenCache(Clock clock) {
        this.clock = clock;
    }

    String get(String registry, String scope) {
        Key key = new Key(registry, scope);
        Entry entry = entries.get(key);
        if (entry == null) {
            return null;
        }
        if (!clock.instant().isBefore(entry.expiresAt)) {
            entries.remove(key, entry);
            return null;
        }
        return entry.token;
    }

    void put(String registry, String scope, String token, Duration lifetime) {
        // Renew a little early (a tenth of the lifetime, at most 30 s) so a token does not expire
        // between our check and the registry's.
        Duration margin = lifetime.dividedBy(10).compareTo(Duration.ofSeconds(30)) > 0
                ? Duration.ofSeconds(30)
                : lifetime.dividedBy(10);
        entries.put(new Key(registry, scope), new Entry(token, clock.instant().plus(lifetime.minus(margin))));
    }

    void invalidate(String registry, String scope) {
        entries.remove(new Key(registry, scope));
    }
}
