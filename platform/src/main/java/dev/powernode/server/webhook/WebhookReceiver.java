package dev.powernode.server.webhook;

import dev.powernode.common.oci.OciRef;
import dev.powernode.common.webhook.WebhookSignature;
import dev.powernode.server.ci.Workers;
import dev.powernode.server.ingest.AcceptedDelivery;
import dev.powernode.server.ingest.Ingest;
import dev.powernode.server.oci.Registries;
import dev.powernode.server.platform.NodePlatform;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.publication.NewPublication;
import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.FieldError;
import dev.powernode.server.shared.Ids;
import dev.powernode.server.shared.PowernodeProperties;
import dev.powernode.server.shared.PublicationStatus;
import dev.powernode.server.shared.Text;
import dev.powernode.server.shared.Violations;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The receiving end of {@code POST /api/v1/system/webhooks/disk_image/built/{webhook_id}}
 * (DESIGN.md, wire contracts). Checks, in order: known webhook, body size, signature headers,
 * HMAC (constant time), timestamp window, delivery id (a repeat gets the first answer and creates
 * nothing), body schema, platform/family/arch/registry. Every call is recorded as a delivery,
 * rejected ones with their reason. Accepted: the publication, its job and the delivery commit
 * together and the caller gets 202 with the publication id.
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
            "firmware_ref",
            "run_id",
            "worker_id");
    static final long MAX_SIZE = 1L << 40;

    private final DiskImageWebhooks webhooks;
    private final NodePlatforms platforms;
    private final Workers workers;
    private final Registries registries;
    private final Ingest ingest;
    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final PowernodeProperties.Webhook config;
    private final Clock clock;

    WebhookReceiver(
            DiskImageWebhooks webhooks,
            NodePlatforms platforms,
            Workers workers,
            Registries registries,
            Ingest ingest,
            JdbcClient jdbc,
            JsonMapper json,
            PowernodeProperties props,
            Clock clock) {
        this.webhooks = webhooks;
        this.platforms = platforms;
        this.workers = workers;
        this.registries = registries;
        this.ingest = ingest;
        this.jdbc = jdbc;
        this.json = json;
        this.config = props.webhook();
        this.clock = clock;
    }

    /** Largest body accepted; the caller reads at most one byte more and passes it on. */
    public long maxBody() {
        return config.maxBody().toBytes();
    }

    /**
     * Handles one call. {@code body} may be longer than {@link #maxBody()} (then it is refused).
     * Returns the 202 receipt (or the first receipt of a repeated delivery); throws a
     * {@link DomainException} for every refusal, after recording it.
     */
    public Receipt receive(String webhookPath, String deliveryId, String timestamp, String signature, byte[] body) {
        Instant now = clock.instant();
        UUID webhookId = Text.uuid(webhookPath).orElse(null);
        DiskImageWebhooks.Credentials hook =
                webhookId == null ? null : webhooks.credentials(webhookId).orElse(null);
        if (hook == null) {
            throw reject(
                    webhookPath,
                    null,
                    deliveryId,
                    false,
                    ErrorKind.NOT_FOUND,
                    "webhook/unknown",
                    "no webhook '" + webhookPath + "'",
                    now);
        }
        if (body.length > maxBody()) {
            throw reject(
                    webhookPath,
                    webhookId,
                    deliveryId,
                    false,
                    ErrorKind.TOO_LARGE,
                    "webhook/too-large",
                    "body exceeds " + maxBody() + " bytes",
                    now);
        }
        if (signature == null || timestamp == null || deliveryId == null) {
            throw reject(
                    webhookPath,
                    webhookId,
                    deliveryId,
                    false,
                    ErrorKind.UNAUTHORIZED,
                    "webhook/unsigned",
                    "missing " + WebhookSignature.SIGNATURE_HEADER + ", " + WebhookSignature.TIMESTAMP_HEADER + " or "
                            + WebhookSignature.DELIVERY_HEADER + " header",
                    now);
        }
        if (!DELIVERY_ID.matcher(deliveryId).matches()) {
            throw reject(
                    webhookPath,
                    webhookId,
                    null,
                    false,
                    ErrorKind.UNAUTHORIZED,
                    "webhook/bad-delivery-id",
                    WebhookSignature.DELIVERY_HEADER + " must be 1-200 of A-Z a-z 0-9 . _ : -",
                    now);
        }
        long ts;
        try {
            ts = Long.parseLong(timestamp.strip());
        } catch (NumberFormatException e) {
            throw reject(
                    webhookPath,
                    webhookId,
                    deliveryId,
                    false,
                    ErrorKind.UNAUTHORIZED,
                    "webhook/bad-timestamp",
                    WebhookSignature.TIMESTAMP_HEADER + " must be unix seconds",
                    now);
        }
        if (!WebhookSignature.verify(hook.secret(), ts, body, signature)) {
            throw reject(
                    webhookPath,
                    webhookId,
                    deliveryId,
                    false,
                    ErrorKind.UNAUTHORIZED,
                    "webhook/bad-signature",
                    "signature does not match (wrong secret, or body/timestamp changed after signing)",
                    now);
        }
        if (Math.abs(now.getEpochSecond() - ts) > config.window().toSeconds()) {
            throw reject(
                    webhookPath,
                    webhookId,
                    deliveryId,
                    true,
                    ErrorKind.UNAUTHORIZED,
                    "webhook/stale",
                    "timestamp " + ts + " is more than " + config.window().toSeconds() + " s from the platform's clock",
                    now);
        }
        Announcement a;
        try {
            a = parse(webhookPath, webhookId, deliveryId, body, now);
        } catch (DomainException refused) {
            return answerRepeatOrRefuse(webhookPath, webhookId, deliveryId, refused, now);
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
                            null),
                    a.platformRef(),
                    new AcceptedDelivery(Ids.newId(), webhookPath, webhookId, deliveryId, now, responseBody));
        } catch (DuplicateKeyException repeated) {
            // this delivery id was accepted before (or concurrently): nothing new was kept
            return firstReceipt(webhookId, deliveryId, now).orElseThrow(() -> repeated);
        }
        if (accepted.isPresent()) {
            return new Receipt(202, responseBody);
        }
        DomainException refused = platformRefusal(a.platformRef());
        return answerRepeatOrRefuse(webhookPath, webhookId, deliveryId, refused, now);
    }

    /**
     * A refused call: a repeat of an accepted delivery still gets the first answer (even if it
     * would not pass today); anything else is recorded and refused.
     */
    private Receipt answerRepeatOrRefuse(
            String path, UUID webhookId, String deliveryId, DomainException refused, Instant now) {
        Optional<Receipt> first = firstReceipt(webhookId, deliveryId, now);
        if (first.isPresent()) {
            return first.get();
        }
        record(
                path,
                webhookId,
                deliveryId,
                true,
                refused.kind().httpStatus(),
                refused.getMessage(),
                null,
                null,
                null,
                now);
        throw refused;
    }

    /** Why the intake statement found no platform to publish for. */
    private DomainException platformRefusal(String platformRef) {
        Optional<NodePlatform> platform = platforms.find(platformRef);
        String message = platform.isEmpty()
                ? "no node platform '" + platformRef + "'"
                : "platform '" + platform.get().slug() + "' has no verification policy (set cosign_public_keys, or"
                        + " cosign_identity_regexp and cosign_oidc_issuer): nothing can be published for it";
        return new DomainException(
                ErrorKind.INVALID,
                "validation/invalid",
                "platform: " + message,
                List.of(new FieldError("platform", message)));
    }

    private Optional<Receipt> firstReceipt(UUID webhookId, String deliveryId, Instant now) {
        Optional<Map<String, Object>> first =
                jdbc.sql("""
                select id, http_status, response_body, publication_id from webhook_delivery
                where webhook_id = :webhook and delivery_id = :delivery and http_status = 202 and duplicate_of is null
                """).param("webhook", webhookId).param("delivery", deliveryId).query().listOfRows().stream()
                        .findFirst();
        if (first.isEmpty()) {
            return Optional.empty();
        }
        Map<String, Object> row = first.get();
        record(
                webhookId.toString(),
                webhookId,
                deliveryId,
                true,
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
            String firmwareRef,
            String runId,
            UUID workerId) {}

    private Announcement parse(String path, UUID webhookId, String deliveryId, byte[] body, Instant now) {
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
                v.add(name, "is not a known field");
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
                v.add("oci_ref", e.getMessage());
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
        String firmwareRef = text(root, "firmware_ref", false, 500, v);
        String runId = text(root, "run_id", false, 200, v);
        String workerText = text(root, "worker_id", false, 36, v);
        UUID workerId = null;
        if (workerText != null) {
            workerId = Text.uuid(workerText).orElse(null);
            if (workerId == null) {
                v.add("worker_id", "must be a UUID");
            } else if (!workers.exists(workerId)) {
                v.add("worker_id", "no worker " + workerText);
            }
        }
        if (ref != null && !registries.isAllowed(ref)) {
            v.add("oci_ref", "registry " + ref.registry() + " is not allowed (POWERNODE_REGISTRY_ALLOWED_HOSTS)");
        }
        v.throwIfAny();
        return new Announcement(platformRef, family, arch, ref, sha, size, gitSha, firmwareRef, runId, workerId);
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

    private DomainException reject(
            String path,
            UUID webhookId,
            String deliveryId,
            boolean signatureValid,
            ErrorKind kind,
            String code,
            String reason,
            Instant now) {
        record(path, webhookId, deliveryId, signatureValid, kind.httpStatus(), reason, null, null, null, now);
        return new DomainException(kind, code, reason, List.<FieldError>of());
    }

    private void record(
            String path,
            UUID webhookId,
            String deliveryId,
            boolean signatureValid,
            int status,
            String reason,
            UUID publicationId,
            String responseBody,
            UUID duplicateOf,
            Instant now) {
        jdbc.sql("""
                insert into webhook_delivery (id, requested_webhook_id, webhook_id, delivery_id, received_at,
                    signature_valid, http_status, reason, publication_id, response_body, duplicate_of)
                values (:id, :path, :webhook, :delivery, :at, :valid, :status, :reason, :publication, :body, :dup)
                """)
                .param("id", Ids.newId())
                .param("path", path.length() > 200 ? path.substring(0, 200) : path)
                .param("webhook", webhookId)
                .param(
                        "delivery",
                        deliveryId != null && deliveryId.length() > 200 ? deliveryId.substring(0, 200) : deliveryId)
                .param("at", Timestamp.from(now))
                .param("valid", signatureValid)
                .param("status", status)
                .param("reason", reason)
                .param("publication", publicationId)
                .param("body", responseBody)
                .param("dup", duplicateOf)
                .update();
    }
}
