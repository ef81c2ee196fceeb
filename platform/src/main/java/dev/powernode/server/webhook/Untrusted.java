package dev.powernode.server.webhook;

/**
 * Text that came from an unauthenticated or merely signed caller, before it is stored or echoed:
 * PostgreSQL refuses NUL in text, and control characters in a log or a problem document mislead.
 */
final class Untrusted {
    private Untrusted() {}

    /** True when {@code s} holds a C0 or C1 control character (NUL, newline, ESC, DEL, ...). */
    static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (isControl(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code s} with each control character replaced by a {@code \\uXXXX} escape and cut to at most
     * {@code max} characters (never inside a surrogate pair); null stays null.
     */
    static String printable(String s, int max) {
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

    private static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f);
    }
}
