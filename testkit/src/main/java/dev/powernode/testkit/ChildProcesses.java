package dev.powernode.testkit;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Stopping the child processes the test kit starts, politely first and never leaving one behind. */
final class ChildProcesses {
    private static final long STOP_SECONDS = 5;

    private ChildProcesses() {}

    /**
     * Gives the process {@code grace} to exit by itself, then asks it to stop (SIGTERM), then kills
     * it, waiting up to 5 s at each step. An interrupt kills it at once and keeps the interrupt.
     */
    static void stop(Process process, Duration grace) {
        try {
            if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
            process.destroy();
            if (!process.waitFor(STOP_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_SECONDS, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
