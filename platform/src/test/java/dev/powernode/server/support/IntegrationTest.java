package dev.powernode.server.support;

import static java.lang.annotation.ElementType.TYPE;
import static java.lang.annotation.RetentionPolicy.RUNTIME;

import java.lang.annotation.Retention;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.ContextConfiguration;

/**
 * The service on a random loopback port against the run's throwaway PostgreSQL database
 * (scripts/test.sh creates it and passes its URL as {@code powernode.test.db.*}), reading its
 * time from a {@link SettableClock} the test can advance.
 */
@Target(TYPE)
@Retention(RUNTIME)
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "server.address=127.0.0.1",
            "powernode.jwt-secret=" + Api.JWT_SECRET,
            "powernode.master-key=" + Api.MASTER_KEY,
            "powernode.max-request-body=64KB",
            // contexts share one database: only ingest tests (with their registry) run jobs
            "powernode.ingest.enabled=false",
        })
@ContextConfiguration(initializers = {TestDatabase.class, ServerTempDir.class, SettableClock.Registration.class})
@ExtendWith(SettableClock.ResetAfterEach.class)
public @interface IntegrationTest {}
