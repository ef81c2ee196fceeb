package dev.powernode.server.support;

import dev.powernode.cli.PowernodeCli;
import dev.powernode.common.token.Scope;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The {@code powernode} CLI run in the test's JVM, with what it printed. */
public final class Cli {
    private Cli() {}

    /** What one run printed, and its exit status. */
    public record Run(int exit, String out, String err) {
        public List<String> lines() {
            return out.lines().toList();
        }

        /** stdout and stderr together. */
        public String all() {
            return out + err;
        }

        /** The table row that starts with {@code text}, else the first line that mentions it. */
        public String row(Object text) {
            return out.lines()
                    .filter(l -> l.startsWith(text.toString()))
                    .findFirst()
                    .or(() ->
                            out.lines().filter(l -> l.contains(text.toString())).findFirst())
                    .orElseThrow(() -> new AssertionError("no line with " + text + " in:\n" + out));
        }
    }

    /** Runs {@code args} with picocli's writers captured. */
    public static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = PowernodeCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** An API command against the platform on {@code port}, with a token of {@code scope}. */
    public static Run api(int port, Scope scope, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--api-url", "http://127.0.0.1:" + port, "--token", Api.token(scope)));
        return run(all.toArray(String[]::new));
    }

    /**
     * Runs {@code args} through the CLI's own entry with {@code System.out} and {@code System.err}
     * captured: for the commands (publish, agent, provisioning) whose progress and results are
     * printed there. One at a time: the streams are the JVM's.
     */
    public static synchronized Run runOnSystemStreams(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            return new Run(
                    PowernodeCli.execute(args),
                    out.toString(StandardCharsets.UTF_8),
                    err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
