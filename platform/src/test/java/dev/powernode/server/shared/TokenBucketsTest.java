package dev.powernode.server.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.server.support.SettableClock;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TokenBucketsTest {
    final SettableClock clock = new SettableClock();

    @Test
    void aSprayOfNewKeysPastTwiceTheLimitSharesOneBucketWhileKnownKeysKeepTheirOwn() {
        TokenBuckets limits = new TokenBuckets(1, 2, clock, 10);
        for (int i = 0; i < 20; i++) {
            assertThat(limits.take("10.0.0." + i)).isZero();
        }
        assertThat(limits.size()).isEqualTo(20);

        // the shared overflow bucket has a burst of 2 for all new keys together
        assertThat(limits.take("10.0.1.1")).isZero();
        assertThat(limits.take("10.0.1.2")).isZero();
        assertThat(limits.take("10.0.1.3")).isPositive();
        assertThat(limits.size()).isEqualTo(20);

        // a key seen before still has the second token of its own bucket
        assertThat(limits.take("10.0.0.7")).isZero();
    }

    @Test
    void refilledBucketsAreDroppedPastTheLimitAtMostOnceASecond() {
        TokenBuckets limits = new TokenBuckets(10, 1, clock, 10);
        // 11 keys: the map passes the limit only with the last one, so nothing has swept yet
        for (int i = 0; i < 11; i++) {
            limits.take("a" + i);
        }
        assertThat(limits.size()).isEqualTo(11);
        clock.advance(Duration.ofMillis(200)); // all refilled
        limits.take("b");
        assertThat(limits.size()).isEqualTo(1);

        for (int i = 0; i < 10; i++) {
            limits.take("c" + i);
        }
        clock.advance(Duration.ofMillis(200)); // refilled, but the last sweep was 200 ms ago
        limits.take("d");
        assertThat(limits.size()).isEqualTo(12);

        clock.advance(Duration.ofSeconds(1));
        limits.take("e");
        assertThat(limits.size()).isEqualTo(1);
    }

    @Test
    void aZeroRateAdmitsEverything() {
        TokenBuckets off = new TokenBuckets(0, 1, clock, 10);
        for (int i = 0; i < 100; i++) {
            assertThat(off.take("same")).isZero();
        }
        assertThat(off.size()).isZero();
    }
}
