package dev.powernode.server.webhook;

import dev.powernode.server.shared.Text;

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
        return Text.printable(s, max);
    }

    private static boolean isControl(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f);
    }
}
