package dev.powernode.server.support;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.junit.jupiter.SpringExtension;

/**
 * The integration tests' {@link Clock} (db-scheduler's {@code SettableClock} idea): the system's
 * time plus an offset a test advances, so a test moves time by advancing the clock the service
 * reads (every module takes its time from the injected {@code Clock}, docs/architecture.md)
 * instead of editing timestamps in rows. Time keeps flowing between calls, so timeouts, leases and
 * the job scheduler (which polls on its own clock) behave as in production. {@link IntegrationTest}
 * registers one per context as the {@code clock} bean and puts it back to the system's time after
 * every test, since contexts are shared between test classes.
 */
public final class SettableClock extends Clock {
    private final Clock system = Clock.systemUTC();
    private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

    /** Moves the service's time forward (or back, with a negative duration) by {@code by}. */
    public void advance(Duration by) {
        offset.accumulateAndGet(by, Duration::plus);
    }

    /** Back to the system's time. */
    public void reset() {
        offset.set(Duration.ZERO);
    }

    @Override
    public Instant instant() {
        return system.instant().plus(offset.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("the service's clock is UTC");
    }

    /** Registers a fresh clock as the context's {@code clock} bean, in place of the system clock. */
    public static final class Registration implements ApplicationContextInitializer<ConfigurableApplicationContext> {
        @Override
        public void initialize(ConfigurableApplicationContext context) {
            context.getBeanFactory().registerSingleton("clock", new SettableClock());
        }
    }

    /** Puts the context's clock back to the system's time after each test. */
    public static final class ResetAfterEach implements AfterEachCallback {
        @Override
        public void afterEach(ExtensionContext extension) {
            SpringExtension.getApplicationContext(extension)
                    .getBean(SettableClock.class)
                    .reset();
        }
    }
}
