package dev.powernode.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.publication.NewPublication;
import dev.powernode.server.publication.PublicationStatus;
import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.SignedPlatform;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * {@link Ingest#accept} against the real database: the one intake statement either writes the
 * publication, its history entry, its job and the 202 delivery, or writes nothing and says why, so
 * its caller never has to ask the database again.
 */
@IntegrationTest
class IngestAcceptTest {
    static final String DIGEST = "sha256:" + "ab".repeat(32);

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    Ingest ingest;

    Api admin;
    UUID webhookId;

    @BeforeEach
    void setUp() throws Exception {
        new Fixtures(jdbc).reset();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        SignedPlatform.create(admin, "signed");
        SignedPlatform.create(admin, "other");
        assertThat(admin.post("/api/v1/system/node_platforms", "{\"slug\":\"unsigned\",\"name\":\"No policy\"}")
                        .status())
                .isEqualTo(201);
        webhookId = webhook("amd64-builder", "[]");
    }

    @Test
    void anAcceptedAnnouncementWritesThePublicationItsHistoryItsJobAndItsDelivery() {
        UUID id = UUID.randomUUID();

        IntakeResult result = accept(id, "signed", DIGEST, "d1", null);

        assertThat(result).isEqualTo(new IntakeResult.Accepted(id));
        assertThat(count("disk_image_publication")).isEqualTo(1);
        assertThat(count("disk_image_publication_transition")).isEqualTo(1);
        assertThat(count("webhook_delivery")).isEqualTo(1);
        assertThat(jdbc.sql("select count(*) from scheduled_tasks where task_instance = :id")
                        .param("id", id.toString())
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
    }

    @Test
    void anUnknownPlatformOrOneWithoutAPolicyIsNamedAsTheReasonAndNothingIsWritten() {
        assertThat(accept(UUID.randomUUID(), "nope", DIGEST, "d1", null)).isEqualTo(new IntakeResult.PlatformUnknown());
        assertThat(accept(UUID.randomUUID(), "unsigned", DIGEST, "d2", null))
                .isEqualTo(new IntakeResult.NoVerificationPolicy("unsigned"));
        assertNothingWritten();
    }

    @Test
    void aPlatformOutsideTheWebhooksAllowListIsNamedAsTheReason() {
        webhookId = webhook("team-a", "[\"signed\"]");

        assertThat(accept(UUID.randomUUID(), "other", DIGEST, "d1", null))
                .isEqualTo(new IntakeResult.PlatformNotAllowed("other"));
        assertNothingWritten();
    }

    @Test
    void anUnknownWorkerAndAWorkerOfAnotherLabelAreToldApart() {
        UUID foreign = worker("arm64-builder");

        assertThat(accept(UUID.randomUUID(), "signed", DIGEST, "d1", UUID.randomUUID()))
                .isEqualTo(new IntakeResult.WorkerUnknown());
        assertThat(accept(UUID.randomUUID(), "signed", DIGEST, "d2", foreign))
                .isEqualTo(new IntakeResult.WorkerForeign("arm64-builder"));
        assertNothingWritten();
        UUID own = worker("amd64-builder");
        assertThat(accept(UUID.randomUUID(), "signed", DIGEST, "d3", own)).isInstanceOf(IntakeResult.Accepted.class);
    }

    @Test
    void aManifestAlreadyAnnouncedForItsTripleNamesTheLivePublication() {
        UUID first = UUID.randomUUID();
        accept(first, "signed", DIGEST, "d1", null);

        assertThat(accept(UUID.randomUUID(), "signed", DIGEST, "d2", null))
                .isEqualTo(new IntakeResult.AlreadyAnnounced(first, PublicationStatus.QUEUED));
        assertThat(count("disk_image_publication")).isEqualTo(1);
    }

    @Test
    void aDeliveryIdAcceptedBeforeIsARepeatEvenForAnotherManifest() {
        accept(UUID.randomUUID(), "signed", DIGEST, "d1", null);

        assertThat(accept(UUID.randomUUID(), "signed", "sha256:" + "cd".repeat(32), "d1", null))
                .isEqualTo(new IntakeResult.DeliveryRepeated());
        assertThat(count("disk_image_publication")).isEqualTo(1);
        assertThat(count("webhook_delivery")).isEqualTo(1);
    }

    private IntakeResult accept(UUID id, String platform, String digest, String deliveryId, UUID workerId) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        NewPublication n = new NewPublication(
                null,
                ArtifactFamily.UEFI_DISK,
                Arch.AMD64,
                PublicationStatus.QUEUED,
                "registry.test:5000/disk-images@" + digest,
                "cd".repeat(32),
                1234,
                "0123456789abcdef",
                null,
                null,
                webhookId,
                jdbc.sql("select label from disk_image_webhook where id = :id")
                        .param("id", webhookId)
                        .query(String.class)
                        .single(),
                deliveryId,
                workerId,
                "test",
                "announced",
                null,
                null,
                now.minusSeconds(60));
        return ingest.accept(
                id,
                n,
                platform,
                new AcceptedDelivery(
                        UUID.randomUUID(),
                        webhookId.toString(),
                        webhookId,
                        deliveryId,
                        now,
                        "{}",
                        "ef".repeat(32),
                        "01".repeat(32)));
    }

    private void assertNothingWritten() {
        assertThat(count("disk_image_publication")).as("publications").isZero();
        assertThat(count("disk_image_publication_transition")).as("history").isZero();
        assertThat(count("webhook_delivery")).as("deliveries").isZero();
        assertThat(jdbc.sql("select count(*) from scheduled_tasks where task_name = 'ingest-publication'")
                        .query(Long.class)
                        .single())
                .as("jobs")
                .isZero();
    }

    private long count(String table) {
        return jdbc.sql("select count(*) from " + table).query(Long.class).single();
    }

    private UUID webhook(String label, String allowedPlatforms) {
        Api.Response w = admin.post(
                "/api/v1/system/disk_image_webhooks",
                "{\"label\":\"" + label + "\",\"allowed_platforms\":" + allowedPlatforms + "}");
        assertThat(w.status()).as(w.body()).isEqualTo(201);
        return UUID.fromString(w.json().get("webhook_id").asString());
    }

    private UUID worker(String label) {
        Api.Response w = admin.post("/api/v1/workers", "{\"label\":\"" + label + "\"}");
        assertThat(w.status()).as(w.body()).isIn(200, 201);
        return UUID.fromString(w.json().get("worker_id").asString());
    }
}
