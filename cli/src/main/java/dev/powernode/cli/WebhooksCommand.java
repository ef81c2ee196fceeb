package dev.powernode.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

@Command(
        name = "webhooks",
        description = "Provision the webhooks CI pipelines announce builds to; list them and the calls they received.",
        subcommands = {
            WebhooksCommand.Provision.class,
            WebhooksCommand.ListWebhooks.class,
            WebhooksCommand.Deliveries.class
        })
final class WebhooksCommand extends CommandGroup {
    static final String ENDPOINTS = "/api/v1/system/disk_image_webhook_endpoints";
    static final String DELIVERIES = "/api/v1/system/disk_image_webhooks";

    @Command(
            name = "provision",
            description = {
                "Create the webhook of LABEL, or rotate its secret when it exists.",
                "POST " + DELIVERIES + ", system:admin. Prints its id, URL and secret; the secret is shown only "
                        + "this once (or written to --save-secret FILE)."
            })
    static final class Provision extends ApiCommand {
        @Parameters(paramLabel = "LABEL", description = "1-128 of A-Z a-z 0-9 . _ -, e.g. amd64-builder.")
        String label;

        @Option(
                names = "--platform-api-base",
                paramLabel = "URL",
                description = "Base URL runners reach the platform at (default: the platform's public URL).")
        String platformApiBase;

        @Option(
                names = "--save-secret",
                paramLabel = "FILE",
                description = "Write the secret to this new file (mode 600) instead of printing it.")
        Path saveSecret;

        @Option(
                names = "--allowed-platform",
                paramLabel = "SLUG|ID",
                description = "Only these platforms may be announced through it (repeat; default on rotation:"
                        + " unchanged, on creation: any).")
        List<String> allowedPlatforms;

        @Option(names = "--any-platform", description = "Lift the allow-list: any platform may be announced.")
        boolean anyPlatform;

        @Override
        public void run() {
            if (anyPlatform && allowedPlatforms != null) {
                throw new CliException("--any-platform and --allowed-platform exclude each other", 2);
            }
            if (saveSecret != null) {
                SecretFile.checkWritable(saveSecret);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("label", label);
            if (platformApiBase != null) {
                body.put("platform_api_base", platformApiBase);
            }
            if (anyPlatform) {
                body.put("allowed_platforms", List.of());
            } else if (allowedPlatforms != null) {
                body.put("allowed_platforms", allowedPlatforms);
            }
            output.withSecret(api.client().post(DELIVERIES, body), "webhook_secret", saveSecret, "the webhook secret");
        }
    }

    @Command(
            name = "list",
            description = "The webhooks by label: URL, created, rotated, last delivery and its verdict (GET "
                    + ENDPOINTS + "). Secrets are never shown.")
    static final class ListWebhooks extends ApiCommand.Paged {
        @Override
        public void run() {
            listPage(
                    ENDPOINTS,
                    new Table()
                            .text("ID", "id")
                            .text("LABEL", "label")
                            .text("URL", "webhook_url")
                            .ago("CREATED", "created_at")
                            .ago("ROTATED", "rotated_at")
                            .text(
                                    "PLATFORMS",
                                    n -> n.path("allowed_platforms").isEmpty()
                                            ? "any"
                                            : String.valueOf(
                                                    n.path("allowed_platforms").size()))
                            .ago("LAST DELIVERY", n -> Format.text(n.path("last_delivery"), "received_at"))
                            .status(
                                    "VERDICT",
                                    n -> n.path("last_delivery").isObject()
                                            ? Format.text(n.get("last_delivery"), "http_status") + " "
                                                    + Format.text(n.get("last_delivery"), "verdict")
                                            : null));
        }
    }

    @Command(
            name = "deliveries",
            description = "Inbound webhook calls, accepted or not, newest first (GET " + DELIVERIES + ").")
    static final class Deliveries extends ApiCommand.Paged {
        @Option(names = "--recent", description = "Only the last 24 hours.")
        boolean recent;

        @Option(names = "--webhook", paramLabel = "ID|LABEL", description = "Only the calls to this webhook.")
        String webhook;

        @Override
        public void run() {
            ApiClient client = api.client();
            String path = ApiClient.query(
                    DELIVERIES, "recent", recent ? "true" : null, "webhook_id", webhook == null ? null : id(client));
            output.list(
                    client.get(paging.of(path)),
                    new Table()
                            .ago("RECEIVED", "received_at")
                            .text(
                                    "WEBHOOK",
                                    n -> n.hasNonNull("webhook_label")
                                            ? Format.text(n, "webhook_label")
                                            : Format.text(n, "requested_webhook_id"))
                            .clipped("DELIVERY", "delivery_id", 36)
                            .status("STATUS", "http_status")
                            .text("SIGNATURE", n -> n.path("signature_valid").asBoolean(false) ? "valid" : "invalid")
                            .text("PUBLICATION", "publication_id")
                            .clipped("REASON", "reason", 60));
        }

        /** The webhook's id: as given, or looked up by label. */
        private String id(ApiClient client) {
            try {
                return UUID.fromString(webhook).toString();
            } catch (IllegalArgumentException notAnId) {
                for (int page = 1; ; page++) {
                    JsonNode list = client.get(ApiClient.query(ENDPOINTS, "page", page, "per_page", 200));
                    for (JsonNode w : list.get("data").values()) {
                        if (webhook.equals(Format.text(w, "label"))) {
                            return Format.text(w, "id");
                        }
                    }
                    if ((long) page * 200 >= list.get("meta").get("total").asLong()) {
                        throw new CliException("no webhook with id or label '" + webhook + "'");
                    }
                }
            }
        }
    }
}
