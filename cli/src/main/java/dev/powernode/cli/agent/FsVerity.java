package dev.powernode.cli.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Seals a new content object with fs-verity ({@code fsverity enable}, from the fsverity package):
 * the composefs mount ({@code verity=require}) serves only sealed objects whose digest matches the
 * image. Off only where the filesystem cannot do it (a host test on tmpfs); a node that boots
 * with {@code verity=require} needs it on.
 */
interface FsVerity {
    void seal(Path file) throws IOException;

    FsVerity OFF = file -> {};

    /** Runs {@code fsverity enable FILE}. */
    static FsVerity command() {
        return file -> {
            Process p = new ProcessBuilder(List.of("fsverity", "enable", file.toString()))
                    .redirectErrorStream(true)
                    .start();
            String out;
            try {
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException("fsverity enable " + file + " did not finish in 120 s");
                }
                out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted sealing " + file, e);
            }
            if (p.exitValue() != 0) {
                throw new IOException("fsverity enable " + file + " failed: " + out);
            }
        };
    }
}
