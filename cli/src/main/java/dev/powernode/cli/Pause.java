package dev.powernode.cli;

import java.time.Duration;

/** The CLI's waits (webhook retries, polling for a verdict): an interrupt ends the command. */
final class Pause {
    private Pause() {}

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }
}
