package dev.powernode.server.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.OciRef;
import java.time.Duration;
import tools.jackson.databind.JsonNode;

/** Announces pushed artifacts through the webhook and follows their publications to a verdict. */
public final class PublicationProbe {
    private final Api admin;
    private final WebhookCaller webhook;

    public PublicationProbe(Api admin, WebhookCaller webhook) {
        this.admin = admin;
        this.webhook = webhook;
    }

    /** Announces {@code a} (as {@code ref}) for the uefi_disk/amd64 triple of {@code slug}; the webhook must answer 202. */
    public String announce(String slug, OciRef ref, DiskImageArtifacts.Pushed a) {
        Api.Response r = webhook.send(WebhookCaller.body(slug, "uefi_disk", "amd64", ref.toString(), a));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r.json().get("publication_id").asString();
    }

    /** The publication once it is no longer queued or verifying (at most 60 s). */
    public JsonNode awaitFinal(String id) {
        await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    String s = get(id).get("status").asString();
                    return !s.equals("queued") && !s.equals("verifying");
                });
        return get(id);
    }

    public JsonNode get(String id) {
        return admin.get("/api/v1/system/disk_image_publications/" + id).json();
    }
}
