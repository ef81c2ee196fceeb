package dev.powernode.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Cli;
import dev.powernode.server.support.Cli.Run;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The operator commands of {@code powernode} end to end: the CLI in-process against this running
 * service on its real routes and PostgreSQL, asserting what operators read and the exit codes.
 */
@IntegrationTest
class OperatorCliTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @TempDir
    Path dir;

    Fixtures fixtures;
    UUID platform;
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(2));

    @BeforeEach
    void setUp() {
        fixtures = new Fixtures(jdbc);
        fixtures.reset();
        platform = fixtures.platform("ops");
    }

    Run cli(Scope scope, String... args) {
        return Cli.api(port, scope, args);
    }

    Run admin(String... args) {
        return cli(Scope.SYSTEM_ADMIN, args);
    }

    @Test
    void rollbackAndPromoteMakeAPublicationCurrentAndTheAuditAndHistorySayWhoAndWhy() {
        UUID old = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0);
        UUID current = fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(60));

        Run back = admin("publications", "rollback", old.toString());

        assertThat(back.exit()).as(back.err()).isZero();
        assertThat(back.lines().get(0))
                .isEqualTo("rolled back uefi_disk/amd64 of ops: " + old + " is now current, " + current + " retired");
        assertThat(back.lines().get(1)).startsWith("ID").contains("STATUS", "CURRENT", "SHA256", "PUBLISHED");
        assertThat(back.row(old)).contains("published", "current", "0123456", "cdcdcdcdcdcd", "1.2 KiB");
        assertThat(back.out()).doesNotContain("\u001b[");

        Run forward = admin("publications", "promote", current.toString());
        assertThat(forward.exit()).as(forward.err()).isZero();
        assertThat(forward.lines().get(0))
                .isEqualTo("promoted uefi_disk/amd64 of ops: " + current + " is now current, " + old + " retired");

        Run again = admin("publications", "promote", current.toString());
        assertThat(again.lines().get(0)).endsWith(current + " is already current; nothing changed");

        Run audit = cli(Scope.DISK_IMAGES_READ, "platforms", "audit", "ops");
        assertThat(audit.exit()).as(audit.err()).isZero();
        assertThat(audit.lines().get(0)).startsWith("AT").contains("KIND", "FROM", "TO", "ACTOR", "REASON");
        assertThat(audit.out().lines().filter(l -> l.contains("pointer")).toList())
                .hasSize(2)
                .first()
                .asString()
                .contains(current.toString(), old.toString(), "test-system:admin", "set-default")
                .matches("(just now|\\ds ago) .*");
        assertThat(audit.out()).contains("rollback");

        Run history = cli(Scope.DISK_IMAGES_READ, "publications", "history", old.toString());
        assertThat(history.exit()).as(history.err()).isZero();
        assertThat(history.lines().get(0)).startsWith("AT").contains("FROM", "TO", "ACTOR", "REASON");
        assertThat(history.row("test-system:admin")).contains("retired", "published");
    }

    @Test
    void aRefusedActionPrintsTheProblemCodeAndDetailAndExitsNonZero() {
        UUID purged = fixtures.publication(platform, "iso", "amd64", "purged", false, t0);

        Run r = admin("publications", "promote", purged.toString());

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip())
                .isEqualTo("powernode: publication/not-promotable: publication " + purged
                        + " cannot become current: its artifact was purged by retention (HTTP 409)");
        assertThat(r.out()).isEmpty();

        UUID unknown = UUID.randomUUID();
        Run missing = cli(Scope.DISK_IMAGES_READ, "publications", "history", unknown.toString());
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err())
                .contains("publication/not-found: no disk image publication '" + unknown + "' (HTTP 404)");
    }

    @Test
    void jsonIsTheApiResponseAsIs() throws Exception {
        UUID p = fixtures.publication(platform, "qcow2", "arm64", "published", true, t0);

        Run r = cli(Scope.DISK_IMAGES_READ, "publications", "list", "--platform", "ops", "--json");

        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode body = JSON.readTree(r.out());
        assertThat(body.get("data").get(0).get("id").asString()).isEqualTo(p.toString());
        assertThat(body.get("meta").get("total").asLong()).isEqualTo(1);
    }

    @Test
    void platformsUpdateChangesOnlyTheFieldsGivenAndNamesAnInvalidOne() {
        Run r = admin(
                "platforms",
                "update",
                "ops",
                "--retention-count",
                "5",
                "--name",
                "Ops fleet",
                "--primary-family",
                "uefi_disk",
                "--primary-arch",
                "amd64");

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.row("disk_image_retention_count")).endsWith(" 5");
        assertThat(r.row("name ")).endsWith(" Ops fleet");
        assertThat(r.row("updated_at")).matches(".*\\((just now|\\ds ago)\\)");
        assertThat(jdbc.sql("select disk_image_retention_count from node_platform where id = :id")
                        .param("id", platform)
                        .query(Integer.class)
                        .single())
                .isEqualTo(5);

        Run list = cli(Scope.DISK_IMAGES_READ, "platforms", "list");
        assertThat(list.row("ops")).contains("Ops fleet", "none", "5", "uefi_disk/amd64");

        Run invalid = admin("platforms", "update", "ops", "--retention-count", "500");
        assertThat(invalid.exit()).isEqualTo(1);
        assertThat(invalid.err()).startsWith("powernode: validation/invalid: ").contains("(HTTP 422)");
        assertThat(invalid.err().lines().toList()).anyMatch(l -> l.startsWith("  disk_image_retention_count: "));

        Run policy = cli(Scope.DISK_IMAGES_WRITE, "platforms", "update", "ops", "--require-tlog");
        assertThat(policy.exit()).isEqualTo(1);
        assertThat(policy.err()).contains("auth/insufficient-scope: ", "system:admin", "(HTTP 403)");

        Run nothing = admin("platforms", "update", "ops");
        assertThat(nothing.exit()).isEqualTo(2);
        assertThat(nothing.err()).contains("nothing to change");
    }

    @Test
    void retentionPlanNamesWhatARunWouldPurgeAndTheRunReportsWhatItDid() {
        fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(60));
        UUID older = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0);
        assertThat(admin("platforms", "update", "ops", "--retention-count", "1").exit())
                .isZero();

        Run plan = cli(Scope.DISK_IMAGES_READ, "retention", "plan", "--platform", "ops");

        assertThat(plan.exit()).as(plan.err()).isZero();
        assertThat(plan.lines().get(0)).startsWith("PUBLICATION").contains("PLATFORM", "TRIPLE", "STATUS", "REASON");
        assertThat(plan.lines()).hasSize(2);
        assertThat(plan.row(older)).contains("ops", "uefi_disk/amd64", "retired", "@sha256:abababababab");

        // both rows name one artifact: the row goes, the bytes stay for the current one
        Run run = cli(Scope.DISK_IMAGES_WRITE, "retention", "run", "--platform", "ops");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.row("planned")).endsWith(" 1");
        assertThat(run.row("purged")).endsWith(" 1");
        assertThat(run.row("kept_shared")).endsWith(" 1");
        assertThat(run.row("errors")).endsWith(" -");

        Run after = cli(Scope.DISK_IMAGES_READ, "retention", "plan", "--platform", "ops", "--json");
        assertThat(JSON.readTree(after.out()).get("data").size()).isZero();
        assertThat(cli(Scope.DISK_IMAGES_READ, "retention", "plan", "--platform", "ops")
                        .out()
                        .strip())
                .isEqualTo("(none)");
        assertThat(cli(Scope.DISK_IMAGES_READ, "retention", "plan", "--platform", "nope")
                        .err())
                .contains("platform/not-found");
    }

    @Test
    void nodesAreEnrolledWithTheIdentityKeptOutOfStdoutListedAndShownInTheConvergence() throws Exception {
        UUID current = fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0);
        Path identity = dir.resolve("identity.cfg");

        Run enrolled =
                admin("nodes", "enroll", "rack1-node07", "--platform", "ops", "--identity-out", identity.toString());

        assertThat(enrolled.exit()).as(enrolled.err()).isZero();
        String cfg = Files.readString(identity);
        String token = cfg.lines()
                .filter(l -> l.startsWith("token="))
                .findFirst()
                .orElseThrow()
                .substring(6);
        assertThat(token).startsWith("pnn_");
        assertThat(Files.getPosixFilePermissions(identity))
                .containsExactlyInAnyOrder(
                        java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        assertThat(enrolled.out()).doesNotContain(token).doesNotContain("identity_cfg");
        assertThat(enrolled.err()).contains("is in " + identity + " (mode 600)");
        String id = cfg.lines()
                .filter(l -> l.startsWith("device_id="))
                .findFirst()
                .orElseThrow()
                .substring(10);
        assertThat(enrolled.out()).contains(id);

        Run printed = admin("nodes", "enroll", "rack1-node08", "--platform", "ops");
        assertThat(printed.exit()).as(printed.err()).isZero();
        assertThat(printed.out()).contains("pnn_", "device_id=");
        assertThat(printed.err()).contains("shown only now", "--identity-out FILE");

        Api.Response reported = new Api(port, token)
                .post(
                        "/api/v1/system/node_api/reports",
                        "{\"report_id\":\"%s\",\"publication_id\":\"%s\",\"sha256\":\"%s\",\"result\":\"healthy\"}"
                                .formatted(UUID.randomUUID(), current, "cd".repeat(32)));
        assertThat(reported.status()).as(reported.body()).isEqualTo(201);

        Run list = cli(Scope.DISK_IMAGES_READ, "nodes", "list", "--platform", "ops");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.lines().get(0)).startsWith("ID").contains("NAME", "RESULT", "PUBLICATION", "LAST SEEN");
        assertThat(list.row(id)).contains("rack1-node07", "uefi_disk", "amd64", "healthy", current.toString());
        assertThat(list.out()).doesNotContain(token);

        Run convergence = cli(Scope.DISK_IMAGES_READ, "nodes", "convergence", "ops");
        assertThat(convergence.exit()).as(convergence.err()).isZero();
        assertThat(convergence.row("uefi_disk")).contains(current.toString()).matches(".* 2 +1 +0 +1 +0 +.*");

        Run revoked = admin("nodes", "revoke", id);
        assertThat(revoked.exit()).as(revoked.err()).isZero();
        assertThat(revoked.row("revoked_at")).doesNotEndWith("-");
        assertThat(cli(Scope.DISK_IMAGES_READ, "nodes", "list", "--platform", "ops")
                        .out())
                .doesNotContain(id);

        Run taken = admin("nodes", "enroll", "rack1-node08", "--platform", "ops");
        assertThat(taken.exit()).isEqualTo(1);
        assertThat(taken.err()).contains("node/name-taken");

        Run set = admin("nodes", "auto-rollback", "ops", "--failures", "2", "--window", "4");
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.row("policy.failures")).endsWith(" 2");
        assertThat(set.row("policy.window")).endsWith(" 4");
        Run shown = cli(Scope.DISK_IMAGES_READ, "nodes", "auto-rollback", "ops", "--json");
        assertThat(shown.exit()).as(shown.err()).isZero();
        assertThat(JSON.readTree(shown.out()).get("policy").get("failures").asInt())
                .isEqualTo(2);
        assertThat(admin("nodes", "auto-rollback", "ops", "--off", "--failures", "1")
                        .exit())
                .isEqualTo(2);
        assertThat(admin("nodes", "auto-rollback", "ops", "--window", "3").exit())
                .as("--window needs --failures")
                .isEqualTo(2);
        Run off = admin("nodes", "auto-rollback", "ops", "--off", "--json");
        assertThat(JSON.readTree(off.out()).get("policy").isNull()).isTrue();
    }

    @Test
    void webhooksAreProvisionedWithTheSecretKeptOutOfStdoutAndListedWithTheirLastDelivery() throws Exception {
        Path secret = dir.resolve("amd64.secret");

        Run provisioned = admin("webhooks", "provision", "amd64-builder", "--save-secret", secret.toString());

        assertThat(provisioned.exit()).as(provisioned.err()).isZero();
        String stored = Files.readString(secret).strip();
        assertThat(stored).matches("[0-9a-f]{64}");
        assertThat(provisioned.out()).doesNotContain(stored).doesNotContain("webhook_secret");
        assertThat(provisioned.row("webhook_url")).contains("/api/v1/system/webhooks/disk_image/built/");
        assertThat(provisioned.err()).contains("is in " + secret + " (mode 600)");
        String id = provisioned.row("webhook_id").replaceAll(".* ", "");

        Run refused = admin("webhooks", "provision", "amd64-builder", "--save-secret", secret.toString());
        assertThat(refused.exit()).isEqualTo(2);
        assertThat(refused.err()).contains("will not overwrite");

        Run rotated = admin("webhooks", "provision", "amd64-builder");
        assertThat(rotated.row("webhook_secret")).doesNotContain(stored).matches(".* [0-9a-f]{64}");
        assertThat(rotated.row("rotated")).endsWith(" true");
        assertThat(rotated.err()).contains("shown only now");

        delivery(UUID.fromString(id), Instant.now().minus(Duration.ofMinutes(3)), 401, "signature does not match");
        Run list = cli(Scope.DISK_IMAGES_READ, "webhooks", "list");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.lines().get(0)).startsWith("ID").contains("LABEL", "URL", "LAST DELIVERY", "VERDICT");
        assertThat(list.row("amd64-builder")).contains(id, "3m ago", "401 rejected");
        assertThat(list.out()).doesNotContain(stored);

        Run deliveries =
                cli(Scope.DISK_IMAGES_READ, "webhooks", "deliveries", "--recent", "--webhook", "amd64-builder");
        assertThat(deliveries.exit()).as(deliveries.err()).isZero();
        assertThat(deliveries.row("amd64-builder")).contains("3m ago", "401", "invalid", "signature does not match");
        assertThat(cli(Scope.DISK_IMAGES_READ, "webhooks", "deliveries", "--webhook", "nope")
                        .err())
                .contains("no webhook with id or label 'nope'");

        Run reader = cli(Scope.DISK_IMAGES_READ, "webhooks", "provision", "other");
        assertThat(reader.exit()).isEqualTo(1);
        assertThat(reader.err()).contains("auth/insufficient-scope", "(HTTP 403)");
    }

    @Test
    void aWebhooksPlatformAllowListIsSetOnProvisioningListedAndLifted() {
        Run limited = admin("webhooks", "provision", "ops-builder", "--allowed-platform", "ops");
        assertThat(limited.exit()).as(limited.err()).isZero();
        assertThat(limited.row("allowed_platforms")).contains(platform.toString());
        assertThat(cli(Scope.DISK_IMAGES_READ, "webhooks", "list").row("ops-builder"))
                .contains("1");
        assertThat(cli(Scope.DISK_IMAGES_READ, "webhooks", "list", "--json").out())
                .contains("\"allowed_platforms\" : [ \"" + platform + "\" ]");

        Run unknown = admin("webhooks", "provision", "ops-builder", "--allowed-platform", "nope");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.err()).contains("allowed_platforms", "no node platform 'nope'");

        Run lifted = admin("webhooks", "provision", "ops-builder", "--any-platform");
        assertThat(lifted.exit()).as(lifted.err()).isZero();
        assertThat(cli(Scope.DISK_IMAGES_READ, "webhooks", "list").row("ops-builder"))
                .contains(" any ");

        Run both = admin("webhooks", "provision", "x", "--any-platform", "--allowed-platform", "ops");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("exclude each other");
    }

    @Test
    void workersAreProvisionedOnceWithATokenAndListedWithoutIt() {
        Run provisioned = admin("workers", "provision", "builder-1");

        assertThat(provisioned.exit()).as(provisioned.err()).isZero();
        String token = provisioned.row("upload_token").replaceAll(".* ", "");
        String id = provisioned.row("worker_id").replaceAll(".* ", "");
        assertThat(token).startsWith("pnw_");

        Run list = cli(Scope.DISK_IMAGES_READ, "workers", "list");
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.lines().get(0)).startsWith("ID").contains("LABEL", "ROLE", "LAST SEEN");
        assertThat(list.row(id)).contains("builder-1", "ci_worker").matches(".*  (just now|\\ds ago)$");
        assertThat(list.out()).doesNotContain(token);
    }

    @Test
    void eventSubscriptionsAndTheirDeliveryLog() {
        Run subscribed = admin("events", "subscribe", "http://127.0.0.1:9/hook", "--event", "rolled_back");
        assertThat(subscribed.exit()).as(subscribed.err()).isZero();
        String id = subscribed.row("subscription.id").replaceAll(".* ", "");
        assertThat(subscribed.row("secret")).matches("secret +\\S+");

        Run list = admin("events", "list");
        assertThat(list.row(id)).contains("http://127.0.0.1:9/hook", "rolled_back");

        UUID old = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0);
        fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(60));
        assertThat(admin("publications", "rollback", old.toString()).exit()).isZero();

        Run deliveries = cli(Scope.DISK_IMAGES_READ, "events", "deliveries");
        assertThat(deliveries.exit()).as(deliveries.err()).isZero();
        assertThat(deliveries.row(old)).contains("rolled_back", "http://127.0.0.1:9/hook", "pending", "0");

        Run gone = admin("events", "unsubscribe", id);
        assertThat(gone.out().strip()).isEqualTo("unsubscribed " + id);
        assertThat(admin("events", "list").out().strip()).isEqualTo("(none)");
    }

    @Test
    void everyOperatorCommandHasHelp() {
        for (String[] command : new String[][] {
            {"publications", "promote"}, {"publications", "history"}, {"platforms", "update"}, {"platforms", "audit"},
            {"retention", "plan"}, {"retention", "run"}, {"webhooks", "provision"}, {"webhooks", "list"},
            {"webhooks", "deliveries"}, {"workers", "provision"}, {"workers", "list"}, {"events", "subscribe"},
            {"events", "list"}, {"events", "deliveries"}
        }) {
            Run help = Cli.run(command[0], command[1], "--help");
            assertThat(help.exit()).isZero();
            assertThat(help.out()).contains("Usage: powernode " + command[0] + " " + command[1], "--json");
        }
    }

    private void delivery(UUID webhook, Instant at, int status, String reason) {
        jdbc.sql("""
                insert into webhook_delivery (id, requested_webhook_id, webhook_id, delivery_id, received_at,
                    signature_valid, http_status, reason)
                values (:id, :requested, :webhook, :delivery, :at, false, :status, :reason)
                """)
                .param("id", UUID.randomUUID())
                .param("requested", webhook.toString())
                .param("webhook", webhook)
                .param("delivery", "build-42")
                .param("at", Timestamp.from(at))
                .param("status", status)
                .param("reason", reason)
                .update();
    }
}
