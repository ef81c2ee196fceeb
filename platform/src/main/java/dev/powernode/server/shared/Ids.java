package dev.powernode.server.shared;

import java.security.SecureRandom;
import java.util.UUID;

/**
 * New row ids: UUIDv7 (RFC 9562), time-ordered so B-tree inserts land on the right-hand pages,
 * with 74 random bits from a per-thread SecureRandom. {@code UUID.randomUUID()} shares one
 * synchronized generator, which showed up as lock contention on the webhook hot path.
 */
public final class Ids {
    private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(SecureRandom::new);

    private Ids() {}

    public static UUID newId() {
        long millis = System.currentTimeMillis();
        SecureRandom random = RANDOM.get();
        long randA = random.nextInt(1 << 12);
        long high = (millis << 16) | 0x7000L | randA;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low);
    }
}
