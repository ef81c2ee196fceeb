package dev.powernode.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;

/** The short forms people read in tables and progress lines: relative times, short digests and ids, sizes, timings. */
final class Format {
    /** What a table shows for an absent value. */
    static final String NONE = "-";

    private static final Pattern DIGEST = Pattern.compile("(sha256:)?([0-9a-f]{64})");
    private static final Pattern GIT_SHA = Pattern.compile("[0-9a-f]{40}");

    private Format() {}

    /** Seconds since {@code startedNanos} ({@link System#nanoTime()}), e.g. {@code 1.25 s}. */
    static String since(long startedNanos) {
        return String.format(Locale.ROOT, "%.2f s", (System.nanoTime() - startedNanos) / 1e9);
    }

    /** {@code 3m ago}, {@code 2h ago}, {@code 5d ago}, {@code in 4m}; {@code just now} within a second. */
    static String ago(Instant then, Instant now) {
        Duration d = Duration.between(then, now);
        boolean future = d.isNegative();
        long s = d.abs().getSeconds();
        if (s < 1) {
            return "just now";
        }
        String amount;
        if (s < 60) {
            amount = s + "s";
        } else if (s < 3600) {
            amount = s / 60 + "m";
        } else if (s < 2 * 86400) {
            amount = s / 3600 + "h";
        } else {
            amount = s / 86400 + "d";
        }
        return future ? "in " + amount : amount + " ago";
    }

    /** {@link #ago(Instant, Instant)} of an ISO-8601 instant; absent is {@link #NONE}, unparsable as is. */
    static String ago(String iso, Instant now) {
        if (iso == null || iso.isEmpty()) {
            return NONE;
        }
        try {
            return ago(Instant.parse(iso), now);
        } catch (DateTimeParseException e) {
            return iso;
        }
    }

    /**
     * A SHA-256 digest cut to its first 12 hex digits (keeping a {@code sha256:} prefix), also
     * inside an OCI reference ({@code host/repo@sha256:0123456789ab}); a git SHA cut to 7. Anything
     * else is returned as is.
     */
    static String shortDigest(String s) {
        if (s == null || s.isEmpty()) {
            return NONE;
        }
        if (GIT_SHA.matcher(s).matches()) {
            return s.substring(0, 7);
        }
        Matcher m = DIGEST.matcher(s);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(
                    out,
                    Matcher.quoteReplacement(
                            (m.group(1) == null ? "" : m.group(1)) + m.group(2).substring(0, 12)));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** 1536 → {@code 1.5 KiB}. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = n;
        int i = -1;
        while (v >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[i]);
    }

    /** The text of a field: strings as is, numbers and booleans printed, absent or null as {@link #NONE}. */
    static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        if (v == null || v.isNull() || v.isMissingNode()) {
            return NONE;
        }
        if (v.isArray()) {
            StringBuilder b = new StringBuilder();
            for (JsonNode item : v.values()) {
                if (!b.isEmpty()) {
                    b.append(", ");
                }
                b.append(item.isValueNode() ? item.asString() : item.toString());
            }
            return b.isEmpty() ? NONE : b.toString();
        }
        return v.isValueNode() ? v.asString() : v.toString();
    }

    /** One line, at most {@code max} characters (an ellipsis marks the cut); 0 means no limit. */
    static String clip(String s, int max) {
        String line = s.replaceAll("\\s*[\\r\\n]+\\s*", " ");
        return max > 0 && line.length() > max ? line.substring(0, max - 1) + "…" : line;
    }
}
