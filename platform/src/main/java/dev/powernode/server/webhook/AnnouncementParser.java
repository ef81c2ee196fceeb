package dev.powernode.server.webhook;

import dev.powernode.common.oci.OciRef;
import dev.powernode.server.ingest.AnnouncementRules;
import dev.powernode.server.oci.Registries;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.Text;
import dev.powernode.server.shared.Violations;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a webhook body into an announcement (docs/api.md, the webhook's body): a JSON object of
 * known fields, the fields it shares with a direct upload checked by {@link AnnouncementRules},
 * then its own: {@code oci_ref} by digest on an allowed registry, the signed {@code build_time},
 * and {@code worker_id}. Every bad field is named at once (422); a body that is not a JSON object
 * is 400.
 */
@Component
class AnnouncementParser {
    static final Set<String> FIELDS = Set.of(
            "platform",
            "artifact_family",
            "arch",
            "oci_ref",
            "sha256",
            "size_bytes",
            "git_sha",
            "build_time",
            "firmware_ref",
            "run_id",
            "worker_id");
    /** No disk image of ours was built before this; earlier instants are typos or probes. */
    static final Instant EARLIEST_BUILD_TIME = Instant.parse("2000-01-01T00:00:00Z");

    private final JsonMapper json;
    private final Registries registries;

    AnnouncementParser(JsonMapper json, Registries registries) {
        this.json = json;
        this.registries = registries;
    }

    /** A checked webhook announcement: the shared fields and the webhook's own. */
    record WebhookAnnouncement(AnnouncementRules.Announcement artifact, OciRef ref, Instant buildTime, UUID workerId) {}

    /**
     * Parses and checks {@code body}; {@code window} is how far in the future a build time may be
     * (the clocks' tolerance). Throws the refusal, unrecorded (the receiver records it).
     */
    WebhookAnnouncement parse(byte[] body, Instant now, Duration window) {
        JsonNode root;
        try {
            root = json.readTree(body);
        } catch (JacksonException e) {
            throw new DomainException(ErrorKind.BAD_REQUEST, "webhook/malformed-json", "body is not well-formed JSON");
        }
        if (root == null || !root.isObject()) {
            throw new DomainException(ErrorKind.BAD_REQUEST, "webhook/malformed-json", "body must be a JSON object");
        }
        Violations v = new Violations();
        for (String name : root.propertyNames()) {
            if (!FIELDS.contains(name)) {
                v.add(Text.printable(name, 100), "is not a known field");
            }
        }
        AnnouncementRules.Announcement artifact = AnnouncementRules.check(new JsonFields(root), v);
        OciRef ref = ociRef(AnnouncementRules.text("oci_ref", text(root, "oci_ref"), true, 2048, v), v);
        Instant buildTime =
                buildTime(AnnouncementRules.text("build_time", text(root, "build_time"), true, 64, v), now, window, v);
        String workerText = AnnouncementRules.text("worker_id", text(root, "worker_id"), false, 36, v);
        UUID workerId = null;
        if (workerText != null) {
            workerId = Text.uuid(workerText).orElse(null);
            if (workerId == null) {
                v.add("worker_id", "must be a UUID");
            }
        }
        v.throwIfAny();
        return new WebhookAnnouncement(Objects.requireNonNull(artifact), ref, buildTime, workerId);
    }

    /** The shared fields of a webhook body, read from its JSON object. */
    private record JsonFields(JsonNode root) implements AnnouncementRules.Fields {
        @Override
        public String platform() {
            return text(root, "platform");
        }

        @Override
        public String artifactFamily() {
            return text(root, "artifact_family");
        }

        @Override
        public String arch() {
            return text(root, "arch");
        }

        @Override
        public String sha256() {
            return text(root, "sha256");
        }

        @Override
        public Long sizeBytes() {
            return size(root.get("size_bytes"));
        }

        @Override
        public String gitSha() {
            return text(root, "git_sha");
        }

        @Override
        public String firmwareRef() {
            return text(root, "firmware_ref");
        }

        @Override
        public String runId() {
            return text(root, "run_id");
        }
    }

    /**
     * A field's text, null when absent or JSON null; a value of another JSON type reads as the
     * empty string, which {@link AnnouncementRules#text} refuses with the message that fits it.
     */
    private static String text(JsonNode root, String name) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        return n.isString() ? n.stringValue() : "";
    }

    /** The size, null when absent; anything but an integer that fits a long reads as -1 (refused). */
    private static Long size(JsonNode n) {
        if (n == null || n.isNull()) {
            return null;
        }
        return n.isIntegralNumber() && n.canConvertToLong() ? n.longValue() : -1L;
    }

    /** A reference by digest to a registry on the allow-list (no SSRF through {@code oci_ref}). */
    private OciRef ociRef(String text, Violations v) {
        if (text == null) {
            return null;
        }
        OciRef ref;
        try {
            ref = OciRef.parse(text);
        } catch (IllegalArgumentException e) {
            v.add("oci_ref", Text.printable(e.getMessage(), 200));
            return null;
        }
        if (ref.digest() == null) {
            v.add("oci_ref", "must name the manifest by digest (host/repo@sha256:...), not by tag");
            return null;
        }
        if (!registries.isAllowed(ref)) {
            v.add("oci_ref", "registry " + ref.registry() + " is not allowed (POWERNODE_REGISTRY_ALLOWED_HOSTS)");
            return null;
        }
        return ref;
    }

    /**
     * {@code OffsetDateTime.parse(text).toInstant()}, with the form every runner sends ({@code
     * 2026-11-29T01:30:00Z}, {@code 2026-11-29T01:30:00.123456+01:00}: four-digit year, seconds, up
     * to nine fraction digits, {@code Z} or {@code ±HH:MM}) read without the general formatter,
     * which was the receiver's most expensive step after the intake statement (docs/decisions/011).
     * Every other text, and every value out of range, goes to {@code OffsetDateTime.parse}, so what
     * is accepted and how it is refused is unchanged.
     */
    static Instant rfc3339(String text) {
        Instant fast = canonical(text);
        return fast != null ? fast : OffsetDateTime.parse(text).toInstant();
    }

    static Instant canonical(String t) {
        int n = t.length();
        if (n < 20
                || n > 35
                || t.charAt(4) != '-'
                || t.charAt(7) != '-'
                || t.charAt(10) != 'T'
                || t.charAt(13) != ':'
                || t.charAt(16) != ':') {
            return null;
        }
        int year = digits(t, 0, 4);
        int month = digits(t, 5, 2);
        int day = digits(t, 8, 2);
        int hour = digits(t, 11, 2);
        int minute = digits(t, 14, 2);
        int second = digits(t, 17, 2);
        if ((year | month | day | hour | minute | second) < 0) {
            return null;
        }
        int i = 19;
        int nanos = 0;
        if (t.charAt(i) == '.') {
            int start = ++i;
            while (i < n && i - start < 9 && t.charAt(i) >= '0' && t.charAt(i) <= '9') {
                nanos = nanos * 10 + (t.charAt(i) - '0');
                i++;
            }
            if (i == start) {
                return null;
            }
            for (int k = i - start; k < 9; k++) {
                nanos *= 10;
            }
        }
        int offsetSeconds;
        if (i == n - 1 && t.charAt(i) == 'Z') {
            offsetSeconds = 0;
        } else if (i == n - 6 && (t.charAt(i) == '+' || t.charAt(i) == '-') && t.charAt(i + 3) == ':') {
            int oh = digits(t, i + 1, 2);
            int om = digits(t, i + 4, 2);
            if ((oh | om) < 0 || oh > 18 || om > 59 || (oh == 18 && om > 0)) {
                return null;
            }
            offsetSeconds = (t.charAt(i) == '-' ? -1 : 1) * (oh * 3600 + om * 60);
        } else {
            return null;
        }
        try {
            return LocalDateTime.of(year, month, day, hour, minute, second, nanos)
                    .toInstant(ZoneOffset.ofTotalSeconds(offsetSeconds));
        } catch (DateTimeException outOfRange) {
            return null; // OffsetDateTime.parse words the refusal
        }
    }

    /** The {@code count} ASCII digits at {@code from} as a number, or -1. */
    private static int digits(String t, int from, int count) {
        int v = 0;
        for (int k = from; k < from + count; k++) {
            char c = t.charAt(k);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /**
     * The signed build time (the manifest's {@code org.opencontainers.image.created}, which ingest
     * compares; docs/decisions/004): RFC 3339, not in the future, not before {@link
     * #EARLIEST_BUILD_TIME}.
     */
    private static Instant buildTime(String text, Instant now, Duration window, Violations v) {
        if (text == null) {
            return null;
        }
        Instant buildTime;
        try {
            // microseconds: what the database keeps, and what ingest compares the manifest's at
            buildTime = rfc3339(text).truncatedTo(ChronoUnit.MICROS);
        } catch (DateTimeParseException e) {
            v.add(
                    "build_time",
                    "must be an RFC 3339 time with an offset (e.g. 2026-11-29T01:30:00Z), the manifest's "
                            + "org.opencontainers.image.created");
            return null;
        }
        if (buildTime.isAfter(now.plus(window))) {
            v.add("build_time", "is in the future (the platform's clock says " + now + ")");
            return null;
        }
        if (buildTime.isBefore(EARLIEST_BUILD_TIME)) {
            // far-past instants overflow java.sql.Timestamp and PostgreSQL's range (a 500)
            v.add("build_time", "is before " + EARLIEST_BUILD_TIME);
            return null;
        }
        return buildTime;
    }
}
