package dev.powernode.server.shared;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import java.util.UUID;

/**
 * Lenient parsing of identifiers and URLs that arrive as text from operators and runners, and the
 * one rule for control characters in text that arrives from outside.
 */
public final class Text {
    private Text() {}

    /** The UUID {@code text} spells in canonical 36-character form, or empty (a slug, garbage, null). */
    public static Optional<UUID> uuid(String text) {
        try {
            return text != null && text.length() == 36 ? Optional.of(UUID.fromString(text)) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** True for an absolute http or https URL with a host. */
    public static boolean isHttpUrl(String text) {
        if (text == null) {
            return false;
        }
        try {
            URI uri = new URI(text);
            return uri.isAbsolute()
                    && uri.getHost() != null
                    && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()));
        } catch (URISyntaxException e) {
            return false;
        }
    }

    /**
     * Why {@code value} may not be stored or logged as it is, or null when it may. Refused: every C0
     * control character (U+0000-U+001F: NUL is what PostgreSQL refuses in text, the rest forge log
     * lines and terminal output), DEL and the C1 controls (U+007F-U+009F). With {@code
     * allowLineBreaks} (multi-line text: PEM keys, scripts, JSON bundles) TAB, LF and CR are allowed.
     */
    public static String controlCharacterProblem(String value, boolean allowLineBreaks) {
        if (value == null) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (isControl(c) && !(allowLineBreaks && (c == '\t' || c == '\n' || c == '\r'))) {
                return "must not contain control characters (U+%04X at index %d)".formatted((int) c, i);
            }
        }
        return null;
    }

    /**
     * Text from outside (a caller, a registry, a manifest) made safe to store and show: each C0 or
     * C1 control character replaced by a {@code \\uXXXX} escape (PostgreSQL refuses NUL in text;
     * newlines forge log lines) and cut to at most {@code max} characters, never inside a surrogate
     * pair; null stays null.
     */
    public static String printable(String s, int max) {
        if (s == null) {
            return null;
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), max));
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            String piece = isControl(c) ? String.format("\\u%04x", (int) c) : String.valueOf(c);
            if (b.length() + piece.length() > max) {
                break;
            }
            b.append(piece);
        }
        if (b.length() > 0 && Character.isHighSurrogate(b.charAt(b.length() - 1))) {
            b.setLength(b.length() - 1);
        }
        return b.toString();
    }

    /** A C0 control character, DEL, or a C1 control character. */
    private static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f);
    }
}
