package dev.powernode.cli.agent;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * When a staged image may be booted: at once, in a daily maintenance window (UTC), or only when an
 * operator runs {@code powernode agent apply}. A failed trial boot reboots at once whatever the
 * policy: the node is already off its good image.
 */
public record RebootPolicy(Mode mode, LocalTime windowStart, LocalTime windowEnd) {
    public enum Mode {
        IMMEDIATE,
        WINDOW,
        MANUAL
    }

    private static final Pattern WINDOW = Pattern.compile("window\\s+(\\d{2}:\\d{2})-(\\d{2}:\\d{2})");

    public static final RebootPolicy IMMEDIATE_POLICY = new RebootPolicy(Mode.IMMEDIATE, null, null);

    /** {@code immediate}, {@code manual} or {@code window HH:MM-HH:MM} (UTC; may span midnight). */
    public static RebootPolicy parse(String text) {
        String t = text.strip();
        if (t.equals("immediate")) {
            return IMMEDIATE_POLICY;
        }
        if (t.equals("manual")) {
            return new RebootPolicy(Mode.MANUAL, null, null);
        }
        Matcher m = WINDOW.matcher(t);
        if (m.matches()) {
            try {
                LocalTime start = LocalTime.parse(m.group(1));
                LocalTime end = LocalTime.parse(m.group(2));
                if (!start.equals(end)) {
                    return new RebootPolicy(Mode.WINDOW, start, end);
                }
            } catch (java.time.format.DateTimeParseException e) {
                // falls through to the error below
            }
        }
        throw new AgentException(
                AgentException.Kind.CONFIG,
                "reboot must be \"immediate\", \"manual\" or \"window HH:MM-HH:MM\" (UTC, start != end), got \"" + text
                        + "\"");
    }

    /**
     * How long from {@code now} until a staged image may be booted: zero inside the window or when
     * immediate; null when only an operator may reboot.
     */
    public Duration waitFrom(Instant now) {
        return switch (mode) {
            case IMMEDIATE -> Duration.ZERO;
            case MANUAL -> null;
            case WINDOW -> {
                ZonedDateTime t = now.atZone(ZoneOffset.UTC);
                LocalTime time = t.toLocalTime();
                boolean inside = windowStart.isBefore(windowEnd)
                        ? !time.isBefore(windowStart) && time.isBefore(windowEnd)
                        : !time.isBefore(windowStart) || time.isBefore(windowEnd);
                if (inside) {
                    yield Duration.ZERO;
                }
                ZonedDateTime next = t.with(windowStart);
                if (!next.isAfter(t)) {
                    next = next.plusDays(1);
                }
                yield Duration.between(t, next);
            }
        };
    }

    @Override
    public String toString() {
        return mode == Mode.WINDOW
                ? "window " + windowStart + "-" + windowEnd + " UTC"
                : mode.name().toLowerCase(java.util.Locale.ROOT);
    }
}
