package dev.powernode.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/**
 * {@code publish --wait}: follows the announced publications through the platform API until each
 * is published or one failed, so a CI job fails when its build does not verify. A mixin of
 * {@code publish}: its options are listed with the command's.
 */
final class VerdictWait {
    @Option(names = "--wait", description = "Poll the platform until the publications are published or failed.")
    boolean waitForVerdict;

    @Option(
            names = "--wait-timeout",
            defaultValue = "30m",
            description = "How long --wait waits in all (default ${DEFAULT-VALUE}).")
    String waitTimeout;

    @Option(names = "--api-url", description = "Platform base URL for --wait (env POWERNODE_API_URL).")
    String apiUrl;

    @Option(names = "--token", description = "Read-scoped API token for --wait (env POWERNODE_TOKEN).")
    String token;

    /** One announced publication; {@code label} is how its lines name it ({@code FAMILY } first or nothing). */
    record Announced(String label, String publicationId, long announcedAtNanos) {}

    /**
     * The API client --wait polls with, or null without --wait. Made before anything is pushed: a
     * missing token is a usage error.
     */
    ApiClient client() {
        if (!waitForVerdict) {
            return null;
        }
        ApiOptions api = new ApiOptions();
        api.apiUrl = apiUrl;
        api.token = token;
        return api.client();
    }

    /**
     * With --wait, follows each publication to its verdict, printing its status changes to
     * {@code err}; throws naming every one that failed or was not decided in time.
     */
    void await(ApiClient client, List<Announced> announced, PrintWriter err) {
        if (!waitForVerdict) {
            return;
        }
        Instant deadline = Instant.now().plus(TokenCommand.ttl(waitTimeout));
        List<String> failures = new ArrayList<>();
        for (Announced a : announced) {
            String failure = await(client, a, deadline, err);
            if (failure != null) {
                failures.add(failure);
            }
        }
        if (!failures.isEmpty()) {
            throw new CliException(String.join("; ", failures));
        }
    }

    /** Follows one publication to its verdict: null when published, else the reason it failed. */
    private String await(ApiClient client, Announced a, Instant deadline, PrintWriter err) {
        String id = a.publicationId();
        String label = a.label() + "publication " + id;
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            JsonNode p = client.get("/api/v1/system/disk_image_publications/" + id);
            String status = p.get("status").asString();
            if (!status.equals(last)) {
                err.println(label + ": " + status);
                last = status;
            }
            if (status.equals("published") || status.equals("retired")) {
                err.println(label + ": published" + (p.get("active").asBoolean() ? " and current" : "") + " ("
                        + Format.since(a.announcedAtNanos()) + " after the webhook)");
                return null;
            }
            if (status.equals("failed")) {
                String reason = a.label() + "publication failed: "
                        + p.get("error_message").asString();
                err.println(reason);
                return reason;
            }
            Pause.sleep(Duration.ofMillis(250));
        }
        return "gave up waiting after " + waitTimeout + " for " + label + " (last status: " + last + ")";
    }
}
