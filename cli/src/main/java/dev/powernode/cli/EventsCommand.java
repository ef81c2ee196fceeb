package dev.powernode.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "events",
        description =
                "Signed outbound notifications (CloudEvents): subscribe endpoints, list them, and the delivery log.",
        subcommands = {
            EventsCommand.Subscribe.class,
            EventsCommand.ListSubscriptions.class,
            EventsCommand.Unsubscribe.class,
            EventsCommand.Deliveries.class
        })
final class EventsCommand extends CommandGroup {
    static final String SUBSCRIPTIONS = "/api/v1/system/event_subscriptions";

    @Command(
            name = "subscribe",
            description = {
                "Subscribe URL to events.",
                "POST " + SUBSCRIPTIONS + ", system:admin. Prints the subscription and the HMAC secret its "
                        + "deliveries are signed with, shown only this once (or written to --save-secret FILE)."
            })
    static final class Subscribe extends ApiCommand {
        @Parameters(paramLabel = "URL", description = "The http(s) endpoint that receives the events.")
        String url;

        @Option(
                names = "--event",
                paramLabel = "TYPE",
                description = "published, failed, promoted, rolled_back or purged; repeatable (default: all).")
        List<String> events = new ArrayList<>();

        @Option(
                names = "--save-secret",
                paramLabel = "FILE",
                description = "Write the secret to this new file (mode 600) instead of printing it.")
        Path saveSecret;

        @Override
        public void run() {
            if (saveSecret != null) {
                SecretFile.checkWritable(saveSecret);
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("url", url);
            body.put("events", events);
            output.withSecret(api.client().post(SUBSCRIPTIONS, body), "secret", saveSecret, "the subscription secret");
        }
    }

    @Command(
            name = "list",
            description = "The subscriptions (GET " + SUBSCRIPTIONS + "; system:admin); secrets are never shown.")
    static final class ListSubscriptions extends ApiCommand {
        @Override
        public void run() {
            list(
                    SUBSCRIPTIONS,
                    new Table()
                            .text("ID", "id")
                            .text("URL", "url")
                            .text(
                                    "EVENTS",
                                    n -> n.path("event_types").isEmpty() ? "all" : Format.text(n, "event_types"))
                            .ago("CREATED", "created_at"));
        }
    }

    @Command(
            name = "unsubscribe",
            description = "Delete a subscription (DELETE " + SUBSCRIPTIONS + "/{id}; system:admin).")
    static final class Unsubscribe extends ApiCommand {
        @Parameters(paramLabel = "ID", description = "The subscription's id.")
        String id;

        @Override
        public void run() {
            api.client().delete(SUBSCRIPTIONS + "/" + ApiClient.enc(id));
            output.note("unsubscribed " + id);
        }
    }

    @Command(
            name = "deliveries",
            description = {
                "The outbound delivery log, newest first (GET /api/v1/system/event_deliveries).",
                "Each event sent to each subscription: its status (pending, delivered, failed), attempts and last "
                        + "answer."
            })
    static final class Deliveries extends ApiCommand.Paged {
        @Override
        public void run() {
            listPage(
                    "/api/v1/system/event_deliveries",
                    new Table()
                            .ago("CREATED", "created_at")
                            .text("EVENT", "event_type")
                            .text("PUBLICATION", "publication_id")
                            .text("URL", "url")
                            .status("STATUS", "status")
                            .text("ATTEMPTS", "attempts")
                            .status("LAST HTTP", "last_http_status")
                            .ago(
                                    "NEXT ATTEMPT",
                                    n -> "pending".equals(Format.text(n, "status"))
                                            ? Format.text(n, "next_attempt_at")
                                            : null)
                            .ago("DELIVERED", "delivered_at")
                            .clipped("LAST ERROR", "last_error", 60));
        }
    }
}
