package dev.powernode.server.webhook;

import dev.powernode.common.oci.OciRef;
import dev.powernode.common.webhook.WebhookSignature;
import dev.powernode.server.ci.Worker;
import dev.powernode.server.ci.Workers;
import dev.powernode.server.ingest.AcceptedDelivery;
import dev.powernode.server.ingest.Ingest;
import dev.powernode.server.oci.Registries;
import dev.powernode.server.platform.NodePlatform;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.publication.DiskImagePublication;
import dev.powernode.server.publication.NewPublication;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.FieldError;
import dev.powernode.server.shared.Ids;
import dev.powernode.server.shared.PowernodeProperties;
import dev.powernode.server.shared.PublicationStatus;
import dev.powernode.server.shared.RateLimited;
import dev.powernode.server.shared.Text;
import dev.powernode.server.shared.Violations;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The receiving end of {@code POST /api/v1/system/webhooks/disk_image/built/{webhook_id}}
 * (DESIGN.md, wire contracts). Checks, in order: the caller's rate (per source address), known
 * webhook, the webhook's rate, body size, signature headers, HMAC over timestamp, delivery id and
 * body (constant time; a signature seen before is a replay), timestamp window, delivery id (a
 * repeat with the same body gets the first answer, with another body 409; neither creates
 * anything), body schema (no control characters), then platform, allow-list, worker and "not
 * announced before", which the intake statement checks as it inserts. Every call to a known
 * webhook is recorded as a delivery, rejected ones with their (bounded) reason; calls to unknown
 * webhooks and rate-limited calls are counted as metrics instead, so anonymous traffic cannot fill
 * the table. Accepted: the publication, its job and the delivery commit together and the caller
 * gets 202 with the publication id; a manifest already announced for its triple gets 200 naming
 * the existing publication, and nothing is created or promoted.
 */
@Service
public class WebhookReceiver {
    static final Pattern DELIVERY_ID = Pattern.compile("[A-Za-z0-9._:-]{1,200}");
    static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    static final Pattern GIT_SHA = Pattern.compile("[0-9a-f]{7,64}");
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
    static final long MAX_SIZE = 1L << 40;
    /** Stored reasons are cut to this many characters. */
    static final int MAX_REASON = 500;
    /** At most one log line per this interval about calls to unknown webhooks. */
    static final Duration UNKNOWN_LOG_INTERVAL = Duration.ofMinutes(1);

    private static final Logger log = LoggerFactory.getLogger(WebhookReceiver.class);

    private final DiskImageWebhooks webhooks;
    private final NodePlatforms platforms;
    private final Workers workers;
    private final Publications publications;
    private final Registries registries;
    private final Ingest ingest;
    /** No disk image of ours was built before this; earlier instants are typos or probes. */
    static final Instant EARLIEST_BUILD_TIME = Instant.parse("2000-01-01T00:00:00Z");

    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final PowernodeProperties.Webhook config;
    private final Clock clock;
    private final TokenBuckets perAddress;
    private final TokenBuckets perWebhook;
    private final Counter unknownCalls;
    private final Counter throttledByAddress;
    private final Counter throttledByWebhook;
    private final AtomicLong nextUnknownLog = new AtomicLong();
    private final AtomicLong unknownSinceLog = new AtomicLong();

    WebhookReceiver(
            DiskImageWebhooks webhooks,
            NodePlatforms platforms,
            Workers workers,
            Publications publications,
            Registries registries,
            Ingest ingest,
            JdbcClient jdbc,
            JsonMapper json,
            PowernodeProperties props,
            MeterRegistry meters,
            Clock clock) {
        this.webhooks = webhooks;
        this.platforms = platforms;
        this.workers = workers;
        this.publications = publications;
        this.registries = registries;
        this.ingest = ingest;
        this.jdbc = jdbc;
        this.json = json;
        this.config = props.webhook();
        this.clock = clock;
        this.perAddress = new TokenBuckets(config.ratePerAddress(), config.burstPerAddress(), clock);
        this.perWebhook = new TokenBuckets(config.ratePerWebhook(), config.burstPerWebhook(), clock);
        this.unknownCalls = Counter.builder("powernode.webhook.unknown")
                .description("calls to webhook ids that name no webhook (not recorded as deliveries)")
                .register(meters);
        this.throttledByAddress = Counter.builder("powernode.webhook.throttled")
                .description("webhook calls refused with 429 (not recorded as deliveries)")
                .tag("limit", "address")
                .register(meters);
        this.throttledByWebhook = Counter.builder("powernode.webhook.throttled")
                .description("webhook calls refused with 429 (not recorded as deliveries)")
                .tag("limit", "webhook")
                .register(meters);
    }

    /** Largest body accepted; the caller reads at most one byte more and passes it on. */
    public long maxBody() {
        return config.maxBody().toBytes();
    }

    /**
     * Handles one call from {@code source} (the peer's address). {@code body} may be longer than
     * {@link #maxBody()} (then it is refused). Returns the 202 receipt (or the first receipt of a
     * repeated delivery, or 200 for a manifest already announced); throws a {@link
     * DomainException} for every refusal, after recording it when the webhook is known.
     */
    public Receipt receive(
            String source, String webhookPath, String deliveryId, String timestamp, String signature, byte[] body) {
        Instant now = clock.instant();
        long wait = perAddress.take(source == null ? "" : source);
        if (wait > 0) {
            throttledByAddress.increment();
            throw new RateLimited(
                    "webhook/rate-limited", "too many webhook calls from this address; retry in " + wait + " s", wait);
        }
        UUID webhookId = Text.uuid(webhookPath).orElse(null);
        DiskImageWebhooks.Credentials hook =
                webhookId == null ? null : webhooks.credentials(webhookId).orElse(null);
        if (hook == null) {
            unknown(source, webhookPath, now);
            throw new DomainException(
                    ErrorKind.NOT_FOUND, "webhook/unknown", "no webhook '" + Text.printable(webhookPath, 64) + "'");
        }
        Call call = new Call(webhookPath, webhookId, deliveryId, null, null, now);
        if (body.length > maxBody()) {
            throw refuse(call, ErrorKind.TOO_LARGE, "webhook/too-large", "body exceeds " + maxBody() + " bytes");
        }
        String bodySha = sha256(body);
        call = call.withBodySha(bodySha);
        if (signature == null || timestamp == null || deliveryId == null) {
            throw refuse(
                    call,
                    ErrorKind.UNAUTHORIZED,
                    "webhook/unsigned",
                    "missing " + WebhookSignature.SIGNATURE_HEADER + ", " + WebhookSignature.TIMESTAMP_HEADER + " or "
                            + WebhookSignature.DELIVERY_HEADER + " header");
        }
        if (!DELIVERY_ID.matcher(deliveryId).matches()) {
            throw refuse(
                    call.withoutDeliveryId(),
                    ErrorKind.UNAUTHORIZED,
                    "webhook/bad-delivery-id",
                    WebhookSignature.DELIVERY_HEADER + " must be 1-200 of A-Z a-z 0-9 . _ : -");
        }
        long ts;
        try {
            ts = Long.parseLong(timestamp.strip());
        } catch (NumberFormatException e) {
            throw refuse(
                    call,
                    ErrorKind.UNAUTHORIZED,
                    "webhook/bad-timestamp",
                    WebhookSignature.TIMESTAMP_HEADER + " must be unix seconds");
        }
        String signatureHex = WebhookSignature.hex(signature);
        if (!WebhookSignature.verify(hook.secret(), ts, deliveryId, body, signature)) {
            Optional<Instant> seen = signatureHex == null ? Optional.empty() : seen(webhookId, signatureHex, now);
            if (seen.isPresent()) {
                throw refuse(
                        call,
                        ErrorKind.UNAUTHORIZED,
                        "webhook/replayed",
                        "this signature was already used by a delivery at " + seen.get()
                                + ": a captured request re-sent (the delivery id is signed)");
            }
            throw refuse(
                    call,
                    ErrorKind.UNAUTHORIZED,
                    "webhook/bad-signature",
                    "signature does not match (wrong secret, or timestamp, delivery id or body changed after"
                            + " signing)");
        }
        if (Math.abs(now.getEpochSecond() - ts) > config.window().toSeconds()) {
            throw refuse(
                    call.withSignature(signatureHex),
                    ErrorKind.UNAUTHORIZED,
                    "webhook/stale",
                    "timestamp " + ts + " is more than " + config.window().toSeconds()
                            + " s from the platform's clock");
        }
        // the webhook's own rate is spent only by calls that carry its secret: its URL is not a secret,
        // and forged calls taking from it would keep the real runner at 429 (the address limit above
        // applies to everyone)
        wait = perWebhook.take(webhookId.toString());
        if (wait > 0) {
            throttledByWebhook.increment();
            throw new RateLimited(
                    "webhook/rate-limited", "too many calls to this webhook; retry in " + wait + " s", wait);
        }
        Announcement a;
        try {
            a = parse(body, now);
        } catch (DomainException refused) {
            return answerRepeatOrRefuse(webhookPath, webhookId, deliveryId, bodySha, signatureHex, refused, now);
        }
        UUID publicationId = Ids.newId();
        Map<String, Object> response = new LinkedHashMap<>();
        response.put("publication_id", publicationId.toString());
        response.put("status", PublicationStatus.QUEUED.value());
        response.put("delivery_id", deliveryId);
        String responseBody = json.writeValueAsString(response);
        Optional<UUID> accepted;
        try {
            accepted = ingest.accept(
                    publicationId,
                    new NewPublication(
                            null,
                            a.family(),
                            a.arch(),
                            PublicationStatus.QUEUED,
                            a.ref().toString(),
                            a.sha256(),
                            a.size(),
                            a.gitSha(),
                            a.firmwareRef(),
                            a.runId(),
                            webhookId,
                            hook.label(),
                            deliveryId,
                            a.workerId(),
                            "webhook:" + hook.label(),
                            "announced by delivery " + deliveryId,
                            null,
                            null,
                            a.buildTime()),
                    a.platformRef(),
                    new AcceptedDelivery(
                            Ids.newId(), webhookPath, webhookId, deliveryId, now, responseBody, signatureHex, bodySha));
        } catch (DuplicateKeyException repeated) {
            // this delivery id was accepted before (or concurrently): nothing new was kept
            return firstReceipt(webhookId, deliveryId, bodySha, signatureHex, now)
                    .orElseThrow(() -> repeated);
        }
        if (accepted.isPresent()) {
            return new Receipt(202, responseBody);
        }
        Optional<Receipt> first = firstReceipt(webhookId, deliveryId, bodySha, signatureHex, now);
        if (first.isPresent()) {
            return first.get();
        }
        return nothingCreated(webhookPath, webhookId, hook.label(), deliveryId, bodySha, signatureHex, a, now);
    }

    /** An anonymous call to an id that names no webhook: a metric and, at most once a minute, a log line. */
    private void unknown(String source, String webhookPath, Instant now) {
        unknownCalls.increment();
        long calls = unknownSinceLog.incrementAndGet();
        long due = nextUnknownLog.get();
        if (now.toEpochMilli() >= due
                && nextUnknownLog.compareAndSet(
                        due, now.plus(UNKNOWN_LOG_INTERVAL).toEpochMilli())) {
            unknownSinceLog.addAndGet(-calls);
            log.warn(
                    "{} call(s) to unknown webhook ids since the last report; latest from {} for '{}'",
                    calls,
                    Text.printable(source, 64),
                    Text.printable(webhookPath, 64));
        }
    }

    /**
     * A refused call: a repeat of an accepted delivery still gets the first answer (even if it
     * would not pass today); anything else is recorded and refused.
     */
    private Receipt answerRepeatOrRefuse(
            String path,
            UUID webhookId,
            String deliveryId,
            String bodySha,
            String signatureHex,
            DomainException refused,
            Instant now) {
        Optional<Receipt> first = firstReceipt(webhookId, deliveryId, bodySha, signatureHex, now);
        if (first.isPresent()) {
            return first.get();
        }
        throw recorded(path, webhookId, deliveryId, bodySha, signatureHex, refused, now);
    }

    private DomainException recorded(
            String path,
            UUID webhookId,
            String deliveryId,
            String bodySha,
            String signatureHex,
            DomainException refused,
            Instant now) {
        record(
                path,
                webhookId,
                deliveryId,
                signatureHex,
                bodySha,
                refused.kind().httpStatus(),
                refused.getMessage(),
                null,
                null,
                null,
                now);
        return refused;
    }

    /**
     * The intake statement wrote nothing: find out why. Unknown platform, no policy, a platform
     * outside the webhook's allow-list, an unknown or foreign worker are refused (recorded); a
     * manifest digest already announced for the triple is answered with 200 naming the existing
     * publication (recorded) — nothing is created or promoted either way.
     */
    private Receipt nothingCreated(
            String path,
            UUID webhookId,
            String label,
            String deliveryId,
            String bodySha,
            String signatureHex,
            Announcement a,
            Instant now) {
        Optional<NodePlatform> found = platforms.find(a.platformRef());
        if (found.isEmpty()) {
            throw recorded(
                    path,
                    webhookId,
                    deliveryId,
                    bodySha,
                    signatureHex,
                    invalid("platform", "no node platform '" + a.platformRef() + "'"),
                    now);
        }
        NodePlatform platform = found.get();
        if (platform.cosignIdentityRegexp() == null
                && (platform.cosignPublicKeys() == null
                        || platform.cosignPublicKeys().isEmpty())) {
            throw recorded(
                    path,
                    webhookId,
                    deliveryId,
                    bodySha,
                    signatureHex,
                    invalid(
                            "platform",
                            "platform '" + platform.slug() + "' has no verification policy (set cosign_public_keys,"
                                    + " or cosign_identity_regexp and cosign_oidc_issuer): nothing can be published"
                                    + " for it"),
                    now);
        }
        List<UUID> allowed = webhooks.allowedPlatforms(webhookId);
        if (!allowed.isEmpty() && !allowed.contains(platform.id())) {
            String message = "webhook '" + label + "' may not announce for platform '" + platform.slug()
                    + "' (not in its allowed_platforms)";
            throw recorded(
                    path,
                    webhookId,
                    deliveryId,
                    bodySha,
                    signatureHex,
                    new DomainException(
                            ErrorKind.FORBIDDEN,
                            "webhook/platform-not-allowed",
                            message,
                            List.of(new FieldError("platform", message))),
                    now);
        }
        if (a.workerId() != null) {
            Optional<Worker> worker = workers.find(a.workerId());
            String problem = worker.isEmpty()
                    ? "no worker " + a.workerId()
                    : !worker.get().label().equals(label)
                            ? "worker " + a.workerId() + " ('" + worker.get().label() + "') is not bound to webhook '"
                                    + label + "' (a worker may announce through the webhook of its own label)"
                            : null;
            if (problem != null) {
                throw recorded(path, webhookId, deliveryId, bodySha, signatureHex, invalid("worker_id", problem), now);
            }
        }
        Optional<DiskImagePublication> existing = publications.findAnnounced(
                platform.id(), a.family(), a.arch(), a.ref().digest().toString());
        if (existing.isPresent()) {
            DiskImagePublication p = existing.get();
            Map<String, Object> response = new LinkedHashMap<>();
            response.put("publication_id", p.id().toString());
            response.put("status", p.status().value());
            response.put("delivery_id", deliveryId);
            response.put("already_announced", true);
            String responseBody = json.writeValueAsString(response);
            record(
                    path,
                    webhookId,
                    deliveryId,
                    signatureHex,
                    bodySha,
                    200,
                    "manifest " + a.ref().digest() + " was already announced for this triple (publication " + p.id()
                            + ", " + p.status().value() + "): nothing created, nothing promoted",
                    p.id(),
                    responseBody,
                    null,
                    now);
            return new Receipt(200, responseBody);
        }
        // a concurrent change (platform policy, allow-list, a publication failing) between the
        // statement and these reads: the runner retries the same delivery id
        throw recorded(
                path,
                webhookId,
                deliveryId,
                bodySha,
                signatureHex,
                new DomainException(
                        ErrorKind.UNAVAILABLE, "webhook/retry", "the announcement raced a concurrent change; retry"),
                now);
    }

    private static DomainException invalid(String field, String message) {
        return new DomainException(
                ErrorKind.INVALID,
                "validation/invalid",
                field + ": " + message,
                List.of(new FieldError(field, message)));
    }

    /** When a delivery to this webhook last carried this (verified) signature, within the window. */
    private Optional<Instant> seen(UUID webhookId, String signatureHex, Instant now) {
        return jdbc.sql("""
                select max(received_at) from webhook_delivery
                where webhook_id = :webhook and signature = :signature and received_at >= :since
                """)
                .param("webhook", webhookId)
                .param("signature", signatureHex)
                .param("since", Timestamp.from(now.minus(config.window()).minus(config.window())))
                .query((rs, n) -> rs.getTimestamp(1))
                .optional()
                .filter(java.util.Objects::nonNull)
                .map(Timestamp::toInstant);
    }

    /**
     * The first answer to a delivery id that was accepted before: the same answer when the body is
     * the same (recorded as a repeat), 409 {@code webhook/delivery-conflict} when it differs
     * (recorded). Empty when the delivery id is new.
     */
    private Optional<Receipt> firstReceipt(
            UUID webhookId, String deliveryId, String bodySha, String signatureHex, Instant now) {
        Optional<Map<String, Object>> first =
                jdbc.sql("""
                select id, http_status, response_body, publication_id, body_sha256 from webhook_delivery
                where webhook_id = :webhook and delivery_id = :delivery and http_status = 202 and duplicate_of is null
                """).param("webhook", webhookId).param("delivery", deliveryId).query().listOfRows().stream()
                        .findFirst();
        if (first.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> row = first.get();
        Object firstBody = row.get("body_sha256");
        if (firstBody != null && !firstBody.toString().equals(bodySha)) {
            throw recorded(
                    webhookId.toString(),
                    webhookId,
                    deliveryId,
                    bodySha,
                    signatureHex,
                    DomainException.conflict(
                            "webhook/delivery-conflict",
                            "delivery id " + deliveryId + " was accepted before with another body (SHA-256 "
                                    + firstBody + ", this one " + bodySha + "): nothing created; use a new delivery"
                                    + " id for a new announcement"),
                    now);
        }
        record(
                webhookId.toString(),
                webhookId,
                deliveryId,
                signatureHex,
                bodySha,
                202,
                "repeated delivery: answered with the first response, nothing created",
                (UUID) row.get("publication_id"),
                (String) row.get("response_body"),
                (UUID) row.get("id"),
                now);
        return Optional.of(new Receipt(202, (String) row.get("response_body")));
    }

    record Announcement(
            String platformRef,
            ArtifactFamily family,
            Arch arch,
            OciRef ref,
            String sha256,
            long size,
            String gitSha,
            Instant buildTime,
            String firmwareRef,
            String runId,
            UUID workerId) {}

    private Announcement parse(byte[] body, Instant now) {
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
        String platformRef = text(root, "platform", true, 200, v);
        ArtifactFamily family = enumField(root, "artifact_family", v, ArtifactFamily.class);
        Arch arch = enumField(root, "arch", v, Arch.class);
        String ociRefText = text(root, "oci_ref", true, 2048, v);
        OciRef ref = null;
        if (ociRefText != null) {
            try {
                ref = OciRef.parse(ociRefText);
                if (ref.digest() == null) {
                    v.add("oci_ref", "must name the manifest by digest (host/repo@sha256:...), not by tag");
                    ref = null;
                }
            } catch (IllegalArgumentException e) {
                v.add("oci_ref", Text.printable(e.getMessage(), 200));
            }
        }
        String sha = text(root, "sha256", true, 71, v);
        if (sha != null) {
            sha = sha.startsWith("sha256:") ? sha.substring(7) : sha;
            if (!HEX64.matcher(sha).matches()) {
                v.add("sha256", "must be 64 lowercase hex digits");
                sha = null;
            }
        }
        JsonNode sizeNode = root.get("size_bytes");
        long size = -1;
        if (sizeNode == null || sizeNode.isNull()) {
            v.add("size_bytes", "is required");
        } else if (!sizeNode.isIntegralNumber()
                || !sizeNode.canConvertToLong()
                || sizeNode.longValue() < 0
                || sizeNode.longValue() > MAX_SIZE) {
            v.add("size_bytes", "must be an integer between 0 and " + MAX_SIZE);
        } else {
            size = sizeNode.longValue();
        }
        String gitSha = text(root, "git_sha", true, 64, v);
        if (gitSha != null && !GIT_SHA.matcher(gitSha).matches()) {
            v.add("git_sha", "must be 7-64 lowercase hex digits");
        }
        String buildTimeText = text(root, "build_time", true, 64, v);
        Instant buildTime = null;
        if (buildTimeText != null) {
            try {
                // microseconds: what the database keeps, and what ingest compares the manifest's at
                buildTime = OffsetDateTime.parse(buildTimeText).toInstant().truncatedTo(ChronoUnit.MICROS);
                if (buildTime.isAfter(now.plus(config.window()))) {
                    v.add("build_time", "is in the future (the platform's clock says " + now + ")");
                    buildTime = null;
                } else if (buildTime.isBefore(EARLIEST_BUILD_TIME)) {
                    // far-past instants overflow java.sql.Timestamp and PostgreSQL's range (a 500)
                    v.add("build_time", "is before " + EARLIEST_BUILD_TIME);
                    buildTime = null;
                }
            } catch (DateTimeParseException e) {
                v.add(
                        "build_time",
                        "must be an RFC 3339 time with an offset (e.g. 2026-11-29T01:30:00Z), the manifest's "
                                + "org.opencontainers.image.created");
            }
        }
        String firmwareRef = text(root, "firmware_ref", false, 500, v);
        String runId = text(root, "run_id", false, 200, v);
        String workerText = text(root, "worker_id", false, 36, v);
        UUID workerId = null;
        if (workerText != null) {
            workerId = Text.uuid(workerText).orElse(null);
            if (workerId == null) {
                v.add("worker_id", "must be a UUID");
            }
        }
        if (ref != null && !registries.isAllowed(ref)) {
            v.add("oci_ref", "registry " + ref.registry() + " is not allowed (POWERNODE_REGISTRY_ALLOWED_HOSTS)");
        }
        v.throwIfAny();
        return new Announcement(
                platformRef, family, arch, ref, sha, size, gitSha, buildTime, firmwareRef, runId, workerId);
    }

    private static String text(JsonNode root, String name, boolean required, int max, Violations v) {
        JsonNode n = root.get(name);
        if (n == null || n.isNull()) {
            if (required) {
                v.add(name, "is required");
            }
            return null;
        }
        if (!n.isString() || n.stringValue().isEmpty() || n.stringValue().length() > max) {
            v.add(name, "must be a non-empty string of at most " + max + " characters");
            return null;
        }
        if (Text.controlCharacterProblem(n.stringValue(), false) != null) {
            v.add(name, "must not contain control characters (NUL, newline, ESC, ...)");
            return null;
        }
        return n.stringValue();
    }

    private static <E extends Enum<E> & dev.powernode.server.shared.WireEnum.Valued> E enumField(
            JsonNode root, String name, Violations v, Class<E> type) {
        String raw = text(root, name, true, 64, v);
        if (raw == null) {
            return null;
        }
        for (E e : type.getEnumConstants()) {
            if (e.value().equals(raw)) {
                return e;
            }
        }
        v.add(name, "must be one of " + dev.powernode.server.shared.WireEnum.allowed(type) + ", got '" + raw + "'");
        return null;
    }

    /**
     * A call to a known webhook, as far as the receiver has read it: what a refusal records.
     * {@code signatureHex} is set only once the signature verified.
     */
    private record Call(
            String path, UUID webhookId, String deliveryId, String bodySha, String signatureHex, Instant now) {
        Call withBodySha(String sha) {
            return new Call(path, webhookId, deliveryId, sha, signatureHex, now);
        }

        Call withSignature(String hex) {
            return new Call(path, webhookId, deliveryId, bodySha, hex, now);
        }

        /** The delivery id was malformed: it is not recorded as one. */
        Call withoutDeliveryId() {
            return new Call(path, webhookId, null, bodySha, signatureHex, now);
        }
    }

    /** Records the refused call and returns the error to throw: the one way the receiver refuses. */
    private DomainException refuse(Call call, ErrorKind kind, String code, String reason) {
        record(
                call.path(),
                call.webhookId(),
                call.deliveryId(),
                call.signatureHex(),
                call.bodySha(),
                kind.httpStatus(),
                reason,
                null,
                null,
                null,
                call.now());
        return new DomainException(kind, code, reason, List.<FieldError>of());
    }

    /**
     * One delivery row. {@code signatureHex} is non-null only for calls whose HMAC verified (the
     * column says "signature_valid"); reasons and ids are made printable and bounded.
     */
    private void record(
            String path,
            UUID webhookId,
            String deliveryId,
            String signatureHex,
            String bodySha,
            int status,
            String reason,
            UUID publicationId,
            String responseBody,
            UUID duplicateOf,
            Instant now) {
        jdbc.sql("""
                insert into webhook_delivery (id, requested_webhook_id, webhook_id, delivery_id, received_at,
                    signature_valid, http_status, reason, publication_id, response_body, duplicate_of, signature,
                    body_sha256)
                values (:id, :path, :webhook, :delivery, :at, :valid, :status, :reason, :publication, :body, :dup,
                    :signature, :bodySha)
                """)
                .param("id", Ids.newId())
                .param("path", Text.printable(path, 200))
                .param("webhook", webhookId)
                .param("delivery", Text.printable(deliveryId, 200))
                .param("at", Timestamp.from(now))
                .param("valid", signatureHex != null)
                .param("status", status)
                .param("reason", Text.printable(reason, MAX_REASON))
                .param("publication", publicationId)
                .param("body", responseBody)
                .param("dup", duplicateOf)
                .param("signature", signatureHex)
                .param("bodySha", bodySha)
                .update();
    }

    private static String sha256(byte[] body) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
