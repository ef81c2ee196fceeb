package dev.powernode.cli.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The node's health checks: every executable in the check directories (the image's {@code
 * /usr/lib/powernode/health.d}, the node's {@code /etc/powernode/health.d}), run in name order,
 * each within the timeout. The boot is healthy when all exit 0. The agent runs them after {@code
 * multi-user.target}; a new image is blessed only when they pass.
 */
final class HealthChecks {
    /** The outcome: healthy, or the first failures as "name: reason". */
    record Outcome(boolean healthy, List<String> failures, int ran) {}

    private final List<Path> dirs;
    private final Duration timeout;

    HealthChecks(List<Path> dirs, Duration timeout) {
        this.dirs = List.copyOf(dirs);
        this.timeout = timeout;
    }

    Outcome run() {
        List<Path> checks = new ArrayList<>();
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(p -> Files.isRegularFile(p) && Files.isExecutable(p))
                        .sorted()
                        .forEach(checks::add);
            } catch (IOException e) {
                return new Outcome(false, List.of(dir + ": cannot list: " + e.getMessage()), 0);
            }
        }
        List<String> failures = new ArrayList<>();
        for (Path check : checks) {
            String failure = runOne(check);
            if (failure != null) {
                failures.add(check.getFileName() + ": " + failure);
            }
        }
        return new Outcome(failures.isEmpty(), failures, checks.size());
    }

    private String runOne(Path check) {
        Path output = null;
        try {
            // output to a file: a check that writes more than a pipe holds must not block on it
            output = Files.createTempFile("powernode-health-", ".out");
            Process p = new ProcessBuilder(check.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return "did not finish in " + timeout.toSeconds() + " s";
            }
            if (p.exitValue() != 0) {
                String out = tail(output);
                String last = out.isEmpty()
                        ? ""
                        : " (" + out.lines().reduce((a, b) -> b).orElse("") + ")";
                return "exit " + p.exitValue() + last;
            }
            return null;
        } catch (IOException e) {
            return "cannot run: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException e) {
                    // a temp file left behind is not worth failing a health check over
                }
            }
        }
    }

    private static String tail(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        int from = Math.max(0, all.length - 2000);
        return new String(all, from, all.length - from, StandardCharsets.UTF_8).strip();
    }
}
