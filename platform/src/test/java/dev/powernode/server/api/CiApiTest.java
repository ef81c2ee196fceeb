package dev.powernode.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Cli;
import dev.powernode.server.support.Cli.Run;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.GiteaBackedTest;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.WebhookCaller;
import dev.powernode.testkit.GiteaMock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * bootstrap_disk_image_ci, provision_ci_worker and the Gitea routes through the REST API, against
 * Gitea's API as its description gives it (Prism in front of the test kit's stateful stub).
 */
@IntegrationTest
class CiApiTest extends GiteaBackedTest {
    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Api admin;

    @BeforeEach
    void setUp() {
        new Fixtures(jdbc).reset();
        jdbc.sql("truncate ci_bootstrap").update();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
    }

    static final String BOOTSTRAP = "/api/v1/system/ci/bootstrap";

    static String bootstrapBody(String label, boolean readToken) {
        return """
                {"owner": "ops", "repo": "disk-images", "label": "%s",
                 "platform_api_base": "https://platform.example.org", "create_platform_read_token": %s}
                """.formatted(label, readToken);
    }

    @Test
    void bootstrapSetsUpEverythingAndARerunRotatesTheSameRows() {
        Api.Response first = admin.post(BOOTSTRAP, bootstrapBody("amd64-builder", true));
        assertThat(first.status()).as(first.body()).isEqualTo(201);
        JsonNode r = first.json();
        assertThat(r.get("ok").asBoolean()).isTrue();
        String webhookId = r.get("webhook_id").asString();
        assertThat(r.get("webhook_url").asString())
                .isEqualTo("https://platform.example.org/api/v1/system/webhooks/disk_image/built/" + webhookId);
        assertThat(r.get("ci_worker_token").asString()).isEqualTo(last(gitea().registrationTokens()));
        assertThat(r.get("gitea_secrets_set")
                        .valueStream()
                        .map(JsonNode::asString)
                        .toList())
                .containsExactly(
                        "POWERNODE_WEBHOOK_URL",
                        "POWERNODE_WEBHOOK_SECRET",
                        "POWERNODE_WORKER_ID",
                        "POWERNODE_UPLOAD_TOKEN",
                        "POWERNODE_API_TOKEN",
                        "OCI_REGISTRY_USERNAME",
                        "OCI_REGISTRY_TOKEN");
        Map<String, GiteaMock.Secret> secrets = gitea().secrets("ops", "disk-images");
        assertThat(secrets.get("POWERNODE_WEBHOOK_SECRET").data())
                .isEqualTo(r.get("webhook_secret").asString());
        assertThat(secrets.get("POWERNODE_WEBHOOK_URL").data())
                .isEqualTo(r.get("webhook_url").asString());
        assertThat(secrets.get("POWERNODE_WORKER_ID").data())
                .isEqualTo(r.get("worker_id").asString());
        assertThat(secrets.get("OCI_REGISTRY_TOKEN").data()).isEqualTo("registry-password");
        String firstReadToken = secrets.get("POWERNODE_API_TOKEN").data();
        String firstUpload = secrets.get("POWERNODE_UPLOAD_TOKEN").data();
        // the read token reads, and only reads
        assertThat(admin.as(firstReadToken).get("/api/v1/system/node_platforms").status())
                .isEqualTo(200);
        assertThat(admin.as(firstReadToken)
                        .post("/api/v1/system/node_platforms", "{\"slug\":\"x\",\"name\":\"x\"}")
                        .status())
                .isEqualTo(403);

        Api.Response again = admin.post(BOOTSTRAP, bootstrapBody("amd64-builder", true));
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        JsonNode r2 = again.json();
        assertThat(r2.get("webhook_id").asString()).isEqualTo(webhookId);
        assertThat(r2.get("worker_id").asString()).isEqualTo(r.get("worker_id").asString());
        assertThat(r2.get("webhook_secret").asString())
                .isNotEqualTo(r.get("webhook_secret").asString());
        assertThat(r2.get("ci_worker_token").asString())
                .isNotEqualTo(r.get("ci_worker_token").asString());
        Map<String, GiteaMock.Secret> rotated = gitea().secrets("ops", "disk-images");
        assertThat(rotated.get("POWERNODE_WEBHOOK_SECRET").data())
                .isEqualTo(r2.get("webhook_secret").asString());
        assertThat(rotated.get("POWERNODE_UPLOAD_TOKEN").data()).isNotEqualTo(firstUpload);
        assertThat(rotated.get("POWERNODE_API_TOKEN").data()).isNotEqualTo(firstReadToken);
        assertThat(count("disk_image_webhook")).isEqualTo(1);
        assertThat(count("worker")).isEqualTo(1);
        assertThat(count("ci_bootstrap")).isEqualTo(1);
        assertThat(admin.as(firstReadToken).get("/api/v1/system/node_platforms").status())
                .as("the read token it replaced is revoked")
                .isEqualTo(401);
        assertThat(admin.as(firstUpload)
                        .get("/api/v1/system/worker_api/disk_image_publications/" + java.util.UUID.randomUUID())
                        .status())
                .as("the upload token it replaced no longer authenticates")
                .isEqualTo(401);

        // the receiver: the old secret is refused, the new one passes the signature check
        String path = "/api/v1/system/webhooks/disk_image/built/" + webhookId;
        String body =
                WebhookCaller.body("edge", "uefi_disk", "amd64", "r/x@sha256:" + "a".repeat(64), "a".repeat(64), 1);
        Api.Response old =
                new WebhookCaller(admin, path, r.get("webhook_secret").asString()).send(body);
        assertThat(old.status()).isEqualTo(401);
        assertThat(old.json().get("code").asString()).isEqualTo("webhook/bad-signature");
        Api.Response fresh =
                new WebhookCaller(admin, path, r2.get("webhook_secret").asString()).send(body);
        assertThat(fresh.status()).as(fresh.body()).isNotEqualTo(401);

        Api.Response list = admin.get("/api/v1/system/ci/bootstraps");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.json().get("data").get(0).get("complete").asBoolean()).isTrue();
        assertThat(list.body()).doesNotContain(r2.get("webhook_secret").asString());
    }

    @Test
    void aGiteaFailureHalfWayNamesWhatWasSetAndARerunFinishes() {
        gitea().fail("PUT .*/actions/secrets/POWERNODE_UPLOAD_TOKEN", 403);
        Api.Response half = admin.post(BOOTSTRAP, bootstrapBody("half", false));
        assertThat(half.status()).as(half.body()).isEqualTo(502);
        assertThat(half.json().get("code").asString()).isEqualTo("gitea/forbidden");
        assertThat(half.json().get("detail").asString())
                .contains("PUT /repos/ops/disk-images/actions/secrets/POWERNODE_UPLOAD_TOKEN answered 403")
                .contains("run the bootstrap again");
        assertThat(half.json()
                        .get("gitea_secrets_set")
                        .valueStream()
                        .map(JsonNode::asString)
                        .toList())
                .containsExactly("POWERNODE_WEBHOOK_URL", "POWERNODE_WEBHOOK_SECRET", "POWERNODE_WORKER_ID");
        assertThat(half.json().get("gitea_secret_failed").asString()).isEqualTo("POWERNODE_UPLOAD_TOKEN");
        assertThat(jdbc.sql("select complete from ci_bootstrap where label = 'half'")
                        .query(Boolean.class)
                        .single())
                .isFalse();

        gitea().clearFaults();
        Api.Response done = admin.post(BOOTSTRAP, bootstrapBody("half", false));
        assertThat(done.status()).as(done.body()).isEqualTo(200);
        assertThat(done.json().get("gitea_secrets_set").size()).isEqualTo(6);
        assertThat(jdbc.sql("select complete from ci_bootstrap where label = 'half'")
                        .query(Boolean.class)
                        .single())
                .isTrue();
    }

    @Test
    void nothingIsRotatedWhenGiteaRefusesFirst() {
        Api.Response missing = admin.post(BOOTSTRAP, """
                {"owner": "ops", "repo": "nowhere", "label": "l1"}
                """);
        assertThat(missing.status()).as(missing.body()).isEqualTo(404);
        assertThat(missing.json().get("code").asString()).isEqualTo("gitea/not-found");
        assertThat(missing.json().get("detail").asString())
                .contains("POST /repos/ops/nowhere/actions/runners/registration-token answered 404");
        gitea().fail(".*", 401);
        Api.Response unauthorized = admin.post(BOOTSTRAP, bootstrapBody("l1", false));
        assertThat(unauthorized.status()).isEqualTo(502);
        assertThat(unauthorized.json().get("code").asString()).isEqualTo("gitea/unauthorized");
        assertThat(count("disk_image_webhook") + count("worker") + count("ci_bootstrap"))
                .isZero();
    }

    @Test
    void theSpecsRejectedParametersAreA422NamingThem() {
        Api.Response r = admin.post(BOOTSTRAP, """
                {"owner": "ops", "repo": "disk-images", "label": "l", "account_id": "a", "force": true}
                """);
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.json().get("errors").findValuesAsString("field")).contains("account_id");
        Api.Response bad = admin.post(BOOTSTRAP, """
                {"owner": "o/../x", "repo": "", "label": "-x", "platform_api_base": "ftp://x"}
                """);
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("owner", "repo", "label", "platform_api_base");
        assertThat(admin.as(Api.token(Scope.DISK_IMAGES_WRITE))
                        .post(BOOTSTRAP, bootstrapBody("l", false))
                        .status())
                .isEqualTo(403);
    }

    @Test
    void provisionCiWorkerReturnsARunnerRegistrationTokenAndTheUploadToken() {
        Api.Response r = admin.post("/api/v1/workers", """
                {"label": "arm64-builder", "owner": "ops", "repo": "disk-images"}
                """);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.json().get("ci_worker_token").asString()).isEqualTo(last(gitea().registrationTokens()));
        assertThat(r.json().get("upload_token").asString()).startsWith("pnw_");
        Api.Response org = admin.post("/api/v1/workers", """
                {"label": "arm64-builder", "owner": "ops"}
                """);
        assertThat(org.status()).isEqualTo(200);
        assertThat(gitea().requests().get(gitea().requests().size() - 1).path())
                .isEqualTo("/api/v1/orgs/ops/actions/runners/registration-token");
        Api.Response plain = admin.post("/api/v1/workers", "{\"label\": \"direct-only\"}");
        assertThat(plain.status()).isEqualTo(201);
        assertThat(plain.json().get("ci_worker_token").isNull()).isTrue();
    }

    @Test
    void theGiteaRoutesActOnlyOnBuildRepositoriesAndALabelStaysWithItsRepository() {
        gitea().repository("ops", "private-code");
        int before = gitea().requests().size();
        String other = "/api/v1/system/gitea/repos/ops/private-code";
        for (Api.Response r : List.of(
                admin.get(other + "/workflow_runs"),
                admin.get(other + "/jobs/1/logs"),
                admin.put(other + "/action_secrets/X", "{\"value\": \"v\"}"),
                admin.post(other + "/workflow_dispatches", "{\"workflow_file\": \"x.yaml\", \"ref\": \"main\"}"))) {
            assertThat(r.status()).as(r.body()).isEqualTo(404);
            assertThat(r.json().get("code").asString()).isEqualTo("ci/repository-not-managed");
        }
        assertThat(gitea().requests()).as("Gitea was not asked").hasSize(before);

        assertThat(admin.post(BOOTSTRAP, bootstrapBody("pipeline-a", false)).status())
                .isEqualTo(201);
        Api.Response moved = admin.post(BOOTSTRAP, """
                {"owner": "ops", "repo": "private-code", "label": "pipeline-a"}
                """);
        assertThat(moved.status()).as(moved.body()).isEqualTo(409);
        assertThat(moved.json().get("code").asString()).isEqualTo("ci/label-in-use");
        assertThat(moved.json().get("detail").asString()).contains("ops/disk-images");
        assertThat(gitea().secrets("ops", "private-code")).isEmpty();
    }

    @Test
    void twoBootstrapsOfOneLabelAtOnceLeaveOneReadTokenAndSecretsThatWork() throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var a = pool.submit(() -> admin.post(BOOTSTRAP, bootstrapBody("race", true)));
            var b = pool.submit(() -> admin.post(BOOTSTRAP, bootstrapBody("race", true)));
            for (Api.Response r : List.of(a.get(), b.get())) {
                assertThat(r.status()).as(r.body()).isIn(200, 201, 409);
                if (r.status() == 409) {
                    assertThat(r.json().get("code").asString()).isEqualTo("ci/bootstrap-superseded");
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(jdbc.sql("select count(*) from api_token where subject = 'ci:race' and revoked_at is null")
                        .query(Long.class)
                        .single())
                .as("the read token of the bootstrap that lost the race is revoked")
                .isEqualTo(1);
        // whatever the interleaving, the repository ends with the secret the platform holds now
        String webhookId = jdbc.sql("select webhook_id from ci_bootstrap where label = 'race'")
                .query(java.util.UUID.class)
                .single()
                .toString();
        String path = "/api/v1/system/webhooks/disk_image/built/" + webhookId;
        String body =
                WebhookCaller.body("edge", "uefi_disk", "amd64", "r/x@sha256:" + "a".repeat(64), "a".repeat(64), 1);
        String secret = gitea().secrets("ops", "disk-images")
                .get("POWERNODE_WEBHOOK_SECRET")
                .data();
        assertThat(new WebhookCaller(admin, path, secret).send(body).status()).isNotEqualTo(401);
        assertThat(jdbc.sql("select complete from ci_bootstrap where label = 'race'")
                        .query(Boolean.class)
                        .single())
                .isTrue();
    }

    @Test
    void secretsDispatchRunsAndLogsWithTheirScopes() {
        String repo = "/api/v1/system/gitea/repos/ops/disk-images";
        Api reader = admin.as(Api.token(Scope.DISK_IMAGES_READ));
        Api writer = admin.as(Api.token(Scope.DISK_IMAGES_WRITE));
        assertThat(admin.post(BOOTSTRAP, bootstrapBody("scopes", false)).status())
                .isEqualTo(201);

        Api.Response set = admin.put(repo + "/action_secrets/OCI_REGISTRY_TOKEN", "{\"value\": \"s3cret\"}");
        assertThat(set.status()).as(set.body()).isIn(200, 201);
        assertThat(gitea().secrets("ops", "disk-images")
                        .get("OCI_REGISTRY_TOKEN")
                        .data())
                .isEqualTo("s3cret");
        assertThat(writer.put(repo + "/action_secrets/OCI_REGISTRY_TOKEN", "{\"value\": \"x\"}")
                        .status())
                .isEqualTo(403);
        assertThat(reader.get(repo + "/action_secrets").status()).isEqualTo(403);
        Api.Response badName = admin.put(repo + "/action_secrets/GITEA_X", "{\"value\": \"x\"}");
        assertThat(badName.status()).isEqualTo(422);
        assertThat(badName.json().get("errors").findValuesAsString("field")).containsExactly("name");
        Api.Response listed = admin.get(repo + "/action_secrets");
        assertThat(listed.body()).contains("OCI_REGISTRY_TOKEN").doesNotContain("s3cret");

        assertThat(reader.post(
                                repo + "/workflow_dispatches",
                                "{\"workflow_file\":\"build-disk-image.yaml\",\"ref\":\"main\"}")
                        .status())
                .isEqualTo(403);
        Api.Response noRef = writer.post(repo + "/workflow_dispatches", "{\"workflow\":\"build-disk-image.yaml\"}");
        assertThat(noRef.status()).isEqualTo(422);
        assertThat(noRef.json().get("errors").findValuesAsString("field")).contains("workflow");
        Api.Response d = writer.post(repo + "/workflow_dispatches", """
                {"workflow_file": "build-disk-image.yaml", "ref": "main", "inputs": {"platform_slug": "edge"}}
                """);
        assertThat(d.status()).as(d.body()).isEqualTo(201);
        long runId = d.json().get("run_id").asLong();

        Api.Response runs = reader.get(repo + "/workflow_runs?workflow_file=build-disk-image.yaml");
        assertThat(runs.status()).as(runs.body()).isEqualTo(200);
        assertThat(runs.json().get("data").findValuesAsString("workflow_file")).containsOnly("build-disk-image.yaml");
        Api.Response run = reader.get(repo + "/workflow_runs/" + runId);
        assertThat(run.status()).as(run.body()).isEqualTo(200);
        long job = run.json().get("jobs").get(0).get("id").asLong();
        gitea().log(job, "one\ntwo\nthree\n");
        Api.Response logs = reader.get(repo + "/jobs/" + job + "/logs?tail=2");
        assertThat(logs.status()).as(logs.body()).isEqualTo(200);
        assertThat(logs.json()
                        .get("lines")
                        .valueStream()
                        .map(JsonNode::asString)
                        .toList())
                .containsExactly("two", "three");
        assertThat(logs.json().get("total_lines").asLong()).isEqualTo(3);
        Api.Response gone = reader.get(repo + "/workflow_runs/999999");
        assertThat(gone.status()).isEqualTo(404);
        assertThat(gone.json().get("code").asString()).isEqualTo("gitea/not-found");
    }

    Run cli(Scope scope, String... args) {
        return Cli.api(port, scope, args);
    }

    @Test
    void theCiCommandsDriveTheSameRoutes(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path secretFile = dir.resolve("webhook.secret");
        Run boot = cli(
                Scope.SYSTEM_ADMIN,
                "ci",
                "bootstrap",
                "--owner",
                "ops",
                "--repo",
                "disk-images",
                "--label",
                "cli-builder",
                "--save-secret",
                secretFile.toString());
        assertThat(boot.exit()).as(boot.err()).isZero();
        assertThat(boot.out()).contains("ci_worker_token", "gitea_secrets_set").doesNotContain("webhook_secret");
        assertThat(java.nio.file.Files.readString(secretFile).strip())
                .isEqualTo(gitea().secrets("ops", "disk-images")
                        .get("POWERNODE_WEBHOOK_SECRET")
                        .data());

        java.nio.file.Path key = dir.resolve("key.pem");
        java.nio.file.Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n");
        Run set = cli(
                Scope.SYSTEM_ADMIN,
                "ci",
                "secret",
                "set",
                "ops/disk-images",
                "COSIGN_PRIVATE_KEY",
                "--from-file",
                key.toString());
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(gitea().secrets("ops", "disk-images")
                        .get("COSIGN_PRIVATE_KEY")
                        .data())
                .isEqualTo("-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----");
        Run badName =
                cli(Scope.SYSTEM_ADMIN, "ci", "secret", "set", "ops/disk-images", "ci", "--from-file", key.toString());
        assertThat(badName.exit()).isNotZero();
        assertThat(badName.err()).contains("name").contains("A-Z_");

        Run dispatched = cli(
                Scope.DISK_IMAGES_WRITE,
                "ci",
                "dispatch",
                "ops/disk-images",
                "--workflow-file",
                "build-disk-image.yaml",
                "--ref",
                "main",
                "--input",
                "platform_slug=edge",
                "--json");
        assertThat(dispatched.exit()).as(dispatched.err()).isZero();
        long runId = tools.jackson.databind.json.JsonMapper.builder()
                .build()
                .readTree(dispatched.out())
                .get("run_id")
                .asLong();
        Run runs = cli(
                Scope.DISK_IMAGES_READ, "ci", "runs", "ops/disk-images", "--workflow-file", "build-disk-image.yaml");
        assertThat(runs.exit()).as(runs.err()).isZero();
        assertThat(runs.out()).contains(Long.toString(runId), "build-disk-image.yaml", "queued");
        Run run = cli(Scope.DISK_IMAGES_READ, "ci", "run", "ops/disk-images", Long.toString(runId));
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("build-amd64-uefi", "build-arm64-uefi");
        long job = gitea().jobIds(runId).get(0);
        gitea().log(job, "a\nb\nc\n");
        Run logs = cli(Scope.DISK_IMAGES_READ, "ci", "logs", "ops/disk-images", Long.toString(job), "--tail", "2");
        assertThat(logs.exit()).as(logs.err()).isZero();
        assertThat(logs.out()).isEqualTo("b\nc\n");
        Run wrongRepo = cli(Scope.DISK_IMAGES_READ, "ci", "runs", "disk-images");
        assertThat(wrongRepo.exit()).isEqualTo(2);
        assertThat(wrongRepo.err()).contains("OWNER/REPO");
    }

    private long count(String table) {
        return jdbc.sql("select count(*) from " + table).query(Long.class).single();
    }

    private static String last(List<String> list) {
        return list.get(list.size() - 1);
    }
}
