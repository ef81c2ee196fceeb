package dev.powernode.server.webhook;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * The replica's copy of webhook secrets, kept only while it hears about every rotation: a
 * dedicated PostgreSQL connection {@code LISTEN}s on {@value #CHANNEL}, and a rotation (in any
 * replica) sends the webhook's id there in its own transaction ({@link #announceRotation}), so
 * every replica drops its copy as the rotation commits. While that connection is down nothing is
 * cached and every lookup reads the database: a replica never answers with a secret it might have
 * missed the rotation of. A lookup that raced an invalidation is not cached (a generation count).
 */
@Component
class SecretCache implements SmartLifecycle {
    static final String CHANNEL = "powernode_webhook_secret";
    private static final Logger log = LoggerFactory.getLogger(SecretCache.class);

    private final DataSource dataSource;
    private final JdbcClient jdbc;
    private final Map<UUID, DiskImageWebhooks.Credentials> entries = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private volatile boolean listening;
    private volatile boolean running;
    private volatile Thread thread;
    private volatile Connection connection;

    SecretCache(DataSource dataSource, JdbcClient jdbc) {
        this.dataSource = dataSource;
        this.jdbc = jdbc;
    }

    /** The webhook's credentials, from the copy when the replica is listening, else {@code load}. */
    Optional<DiskImageWebhooks.Credentials> get(UUID id, Supplier<Optional<DiskImageWebhooks.Credentials>> load) {
        if (listening) {
            DiskImageWebhooks.Credentials cached = entries.get(id);
            if (cached != null) {
                return Optional.of(cached);
            }
        }
        long before = generation.get();
        Optional<DiskImageWebhooks.Credentials> fresh = load.get();
        if (fresh.isPresent() && listening && generation.get() == before) {
            entries.put(id, fresh.get());
        }
        return fresh;
    }

    /** Tells every replica (this one included) that {@code id}'s secret changes with the current transaction. */
    void announceRotation(UUID id) {
        jdbc.sql("select pg_notify('" + CHANNEL + "', :id)")
                .param("id", id.toString())
                .query((rs, n) -> 1)
                .list();
        invalidate(id);
    }

    /** Whether this replica currently hears rotations (and so caches). */
    boolean listening() {
        return listening;
    }

    private void invalidate(UUID id) {
        generation.incrementAndGet();
        entries.remove(id);
    }

    private void clear() {
        generation.incrementAndGet();
        entries.clear();
    }

    private void listen() {
        while (running) {
            try (Connection c = open();
                    Statement s = c.createStatement()) {
                connection = c;
                s.execute("LISTEN " + CHANNEL);
                clear(); // anything cached before may have missed a rotation
                listening = true;
                PGConnection pg = c.unwrap(PGConnection.class);
                while (running) {
                    PGNotification[] received = pg.getNotifications(1000);
                    if (received == null) {
                        continue;
                    }
                    for (PGNotification n : received) {
                        try {
                            invalidate(UUID.fromString(n.getParameter()));
                        } catch (IllegalArgumentException e) {
                            clear();
                        }
                    }
                }
            } catch (SQLException e) {
                if (running) {
                    log.warn("not listening for webhook secret rotations (caching off until back): {}", e.getMessage());
                }
            } finally {
                listening = false;
                connection = null;
                clear();
            }
            pause();
        }
    }

    /** A connection of its own, outside the pool: it stays open as long as the replica runs. */
    private Connection open() throws SQLException {
        if (dataSource.isWrapperFor(HikariDataSource.class)) {
            HikariDataSource h = dataSource.unwrap(HikariDataSource.class);
            return DriverManager.getConnection(h.getJdbcUrl(), h.getUsername(), h.getPassword());
        }
        throw new SQLException("not a pooled PostgreSQL data source: secrets are read on every call");
    }

    private void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void start() {
        running = true;
        Thread t = new Thread(this::listen, "webhook-secret-listener");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    @Override
    public void stop() {
        running = false;
        Thread t = thread;
        Connection c = connection;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing on the way out
            }
        }
        if (t != null) {
            try {
                t.join(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
