package dev.powernode.cli;

import java.io.Console;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.Set;

/**
 * Colour for status words in tables: on only when stdout is a terminal, {@code NO_COLOR} is unset
 * or empty (no-color.org) and {@code TERM} is not {@code dumb}. Scripts and pipes get plain text.
 */
final class Style {
    static final Style PLAIN = new Style(false);

    private static final String RESET = "\u001b[0m";
    private static final String GREEN = "\u001b[32m";
    private static final String YELLOW = "\u001b[33m";
    private static final String RED = "\u001b[31m";
    private static final String DIM = "\u001b[2m";

    private static final Set<String> GOOD = Set.of("published", "accepted", "delivered", "current", "ok");
    private static final Set<String> WAITING = Set.of("queued", "awaiting_upload", "verifying", "pending", "rotated");
    private static final Set<String> BAD = Set.of("failed", "rejected", "invalid");
    private static final Set<String> GONE = Set.of("retired", "purged");

    private final boolean colour;

    private Style(boolean colour) {
        this.colour = colour;
    }

    /** The style for this process's stdout and environment. */
    static Style detect() {
        return of(enabled(stdoutIsTerminal(), System.getenv()));
    }

    static Style of(boolean colour) {
        return colour ? new Style(true) : PLAIN;
    }

    static boolean enabled(boolean stdoutIsTerminal, Map<String, String> env) {
        String noColor = env.get("NO_COLOR");
        return stdoutIsTerminal && (noColor == null || noColor.isEmpty()) && !"dumb".equals(env.get("TERM"));
    }

    boolean colour() {
        return colour;
    }

    /**
     * A status word coloured by what it means: green done, yellow under way, red failed, dim gone.
     * HTTP statuses count as words too: 2xx green, 4xx/5xx red.
     */
    String status(String word) {
        if (!colour || word == null) {
            return word;
        }
        String code = colourOf(word.strip());
        return code == null ? word : code + word + RESET;
    }

    private static String colourOf(String word) {
        if (word.matches("[1-5][0-9][0-9]\\b.*")) {
            char klass = word.charAt(0);
            return klass == '2' ? GREEN : klass == '4' || klass == '5' ? RED : null;
        }
        if (GOOD.contains(word)) {
            return GREEN;
        }
        if (WAITING.contains(word)) {
            return YELLOW;
        }
        if (BAD.contains(word)) {
            return RED;
        }
        return GONE.contains(word) ? DIM : null;
    }

    /**
     * Whether stdout is a terminal. Java 17-21: a console exists only when stdin and stdout are
     * both terminals. Java 22+ always has one and says it with {@code isTerminal()}.
     */
    static boolean stdoutIsTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (ReflectiveOperationException olderJava) {
            return true;
        }
    }
}
