package dev.powernode.common.oci;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A response body whose reads give up after the read timeout. {@code java.net.http} has a timeout
 * for the response headers only; a registry that stops sending mid-body would block {@code read()}
 * forever. A watchdog closes the underlying stream when one read has waited too long, which
 * cancels the exchange (closing its connection) and wakes the reader, who then gets a
 * {@link StalledReadException}.
 *
 * <p>Time spent outside {@code read()} (the caller writing to a slow sink) does not count.
 */
final class StallGuardedInputStream extends FilterInputStream {
    private static final ScheduledThreadPoolExecutor WATCHDOG = newWatchdog();

    /** Thrown by a read the watchdog aborted. */
    static final class StalledReadException extends IOException {
        StalledReadException(Duration timeout) {
            super("no data for " + timeout.toMillis() + " ms (read timeout); transfer aborted");
        }
    }

    private final Duration timeout;
    private final long timeoutNanos;
    private final ScheduledFuture<?> check;
    private volatile boolean reading;
    private volatile long readStartedNanos;
    private volatile boolean stalled;

    StallGuardedInputStream(InputStream in, Duration timeout) {
        super(in);
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        // Checking four times per timeout bounds the abort at 1.25 x readTimeout.
        long period = Math.max(TimeUnit.MILLISECONDS.toNanos(10), timeoutNanos / 4);
        this.check = WATCHDOG.scheduleAtFixedRate(this::check, period, period, TimeUnit.NANOSECONDS);
    }

    @Override
    public int read() throws IOException {
        begin();
        try {
            int b = super.read();
            return end(b);
        } catch (IOException e) {
            throw failure(e);
        } finally {
            reading = false;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        begin();
        try {
            int n = super.read(b, off, len);
            return end(n);
        } catch (IOException e) {
            throw failure(e);
        } finally {
            reading = false;
        }
    }

    @Override
    public void close() throws IOException {
        check.cancel(false);
        super.close();
    }

    private void begin() throws IOException {
        if (stalled) {
            throw new StalledReadException(timeout);
        }
        readStartedNanos = System.nanoTime();
        reading = true;
    }

    private int end(int result) throws IOException {
        // A stream closed by the watchdog may report a clean end of stream; it was not one.
        if (stalled) {
            throw new StalledReadException(timeout);
        }
        return result;
    }

    private IOException failure(IOException e) {
        if (stalled && !(e instanceof StalledReadException)) {
            StalledReadException stall = new StalledReadException(timeout);
            stall.initCause(e);
            return stall;
        }
        return e;
    }

    private void check() {
        if (reading && System.nanoTime() - readStartedNanos > timeoutNanos) {
            stalled = true;
            check.cancel(false);
            try {
                in.close();
            } catch (IOException | RuntimeException ignored) {
                // the reader learns of the stall from the flag; closing is only to wake it
            }
        }
    }

    private static ScheduledThreadPoolExecutor newWatchdog() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "registry-read-watchdog");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }
}
