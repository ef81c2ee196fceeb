package dev.powernode.server.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.GiteaBackedTest;
import dev.powernode.server.support.IntegrationTest;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.ServerParameters;
import io.modelcontextprotocol.client.transport.StdioClientTransport;
import io.modelcontextprotocol.json.jackson3.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.Tool;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The MCP server through the SDK's own client, over Streamable HTTP and over stdio (the CLI's
 * {@code powernode mcp} as a process): every tool listed with a strict schema, each called, scopes
 * refused as REST refuses them, unknown parameters named, results equal to the REST answers.
 */
@IntegrationTest
class McpToolsTest extends GiteaBackedTest {
    static final JsonMapper JSON = JsonMapper.builder().build();
    /** Every tool and the scope it needs; the spec's names first. */
    static final Map<String, Scope> TOOLS = new LinkedHashMap<>();

    static {
        TOOLS.put("bootstrap_disk_image_ci", Scope.SYSTEM_ADMIN);
        TOOLS.put("provision_disk_image_webhook", Scope.SYSTEM_ADMIN);
        TOOLS.put("provision_ci_worker", Scope.SYSTEM_ADMIN);
        TOOLS.put("set_gitea_action_secret", Scope.SYSTEM_ADMIN);
        TOOLS.put("dispatch_gitea_workflow", Scope.DISK_IMAGES_WRITE);
        TOOLS.put("list_gitea_workflow_runs", Scope.DISK_IMAGES_READ);
        TOOLS.put("get_gitea_workflow_run", Scope.DISK_IMAGES_READ);
        TOOLS.put("get_gitea_job_logs", Scope.DISK_IMAGES_READ);
        TOOLS.put("system_set_default_disk_image_publication", Scope.DISK_IMAGES_WRITE);
        TOOLS.put("system_list_disk_image_webhooks", Scope.DISK_IMAGES_READ);
        TOOLS.put("list_gitea_action_secrets", Scope.SYSTEM_ADMIN);
        TOOLS.put("list_ci_bootstraps", Scope.DISK_IMAGES_READ);
        TOOLS.put("list_ci_workers", Scope.DISK_IMAGES_READ);
        TOOLS.put("list_disk_image_webhook_endpoints", Scope.DISK_IMAGES_READ);
        TOOLS.put("list_disk_image_publications", Scope.DISK_IMAGES_READ);
        TOOLS.put("get_disk_image_publication", Scope.DISK_IMAGES_READ);
        TOOLS.put("get_disk_image_publication_history", Scope.DISK_IMAGES_READ);
        TOOLS.put("list_node_platforms", Scope.DISK_IMAGES_READ);
        TOOLS.put("get_node_platform", Scope.DISK_IMAGES_READ);
        TOOLS.put("update_node_platform_retention", Scope.DISK_IMAGES_WRITE);
        TOOLS.put("get_node_platform_audit", Scope.DISK_IMAGES_READ);
        TOOLS.put("get_retention_plan", Scope.DISK_IMAGES_READ);
        TOOLS.put("run_retention", Scope.DISK_IMAGES_WRITE);
        TOOLS.put("get_fleet_convergence", Scope.DISK_IMAGES_READ);
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Fixtures fixtures;
    final List<McpSyncClient> clients = new java.util.ArrayList<>();
    final Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(2));

    @BeforeEach
    void setUp() {
        fixtures = new Fixtures(jdbc);
        fixtures.reset();
        jdbc.sql("truncate ci_bootstrap").update();
    }

    @AfterEach
    void close() {
        clients.forEach(McpSyncClient::closeGracefully);
        clients.clear();
    }

    McpSyncClient http(String token) {
        McpSyncClient c = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + port)
                        .endpoint("/mcp")
                        .jsonMapper(
                                new JacksonMcpJsonMapper(JsonMapper.builder().build()))
                        .requestBuilder(HttpRequest.newBuilder().header("Authorization", "Bearer " + token))
                        .build())
                .requestTimeout(Duration.ofSeconds(30))
                .build();
        clients.add(c);
        c.initialize();
        return c;
    }

    McpSyncClient http(Scope scope) {
        return http(Api.token(scope));
    }

    static CallToolResult call(McpSyncClient c, String tool, Map<String, Object> args) {
        return c.callTool(new CallToolRequest(tool, args));
    }

    static JsonNode ok(CallToolResult r) {
        assertThat(r.isError()).as(text(r)).isFalse();
        return JSON.valueToTree(r.structuredContent());
    }

    static JsonNode problem(CallToolResult r) {
        assertThat(r.isError()).as(text(r)).isTrue();
        assertThat(r.structuredContent()).isNull();
        return JSON.readTree(text(r));
    }

    static String text(CallToolResult r) {
        return r.content().stream().map(c -> ((McpSchema.TextContent) c).text()).collect(Collectors.joining("\n"));
    }

    static Map<String, Object> args(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void everyToolIsListedWithAStrictSchemaTruthfulHintsAndAnOutputSchema() {
        List<Tool> tools = http(Scope.DISK_IMAGES_READ).listTools().tools();
        assertThat(tools).extracting(Tool::name).containsExactlyInAnyOrderElementsOf(TOOLS.keySet());
        for (Tool t : tools) {
            assertThat(t.inputSchema().get("additionalProperties")).as(t.name()).isEqualTo(false);
            assertThat(t.outputSchema()).as(t.name()).containsEntry("type", "object");
            assertThat(t.description())
                    .as(t.name())
                    .contains("Needs the " + TOOLS.get(t.name()).value() + " scope");
            boolean readOnly = Boolean.TRUE.equals(t.annotations().readOnlyHint());
            assertThat(readOnly)
                    .as(t.name() + " is read-only exactly when its name says it only reads")
                    .isEqualTo(t.name().matches("(system_)?(list|get)_.*"));
            if (readOnly) {
                assertThat(t.annotations().destructiveHint()).as(t.name()).isFalse();
            }
            properties(t)
                    .forEach((name, schema) -> assertThat(((Map<?, ?>) schema).get("description"))
                            .as(t.name() + "." + name + " is described")
                            .isNotNull());
        }
        Tool bootstrap = tools.stream()
                .filter(t -> t.name().equals("bootstrap_disk_image_ci"))
                .findFirst()
                .orElseThrow();
        assertThat(properties(bootstrap))
                .containsOnlyKeys("owner", "repo", "label", "platform_api_base", "create_platform_read_token");
        assertThat((List<Object>) (List<?>) bootstrap.inputSchema().get("required"))
                .containsExactly("owner", "repo", "label");
        assertThat(bootstrap.annotations().destructiveHint()).isTrue();
        Tool setDefault = tools.stream()
                .filter(t -> t.name().equals("system_set_default_disk_image_publication"))
                .findFirst()
                .orElseThrow();
        assertThat(properties(setDefault)).containsOnlyKeys("node_platform_id", "publication_id");
        assertThat(setDefault.annotations().idempotentHint()).isTrue();
    }

    @Test
    void readToolsAnswerExactlyWhatTheRestRoutesAnswer() {
        UUID platform = fixtures.platform("edge");
        UUID older = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0);
        UUID current = fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(60));
        fixtures.publication(platform, "iso", "arm64", "failed", false, t0.plusSeconds(90));
        McpSyncClient reader = http(Scope.DISK_IMAGES_READ);
        Api rest = new Api(port, Api.token(Scope.DISK_IMAGES_READ));

        Map<String, String> same = new LinkedHashMap<>();
        same.put("list_node_platforms", "/api/v1/system/node_platforms");
        same.put("get_node_platform", "/api/v1/system/node_platforms/edge");
        same.put("list_disk_image_publications", "/api/v1/system/disk_image_publications?platform=edge&arch=amd64");
        same.put("get_disk_image_publication", "/api/v1/system/disk_image_publications/" + current);
        same.put("get_disk_image_publication_history", "/api/v1/system/disk_image_publications/" + older + "/history");
        same.put("get_node_platform_audit", "/api/v1/system/node_platforms/" + platform + "/audit");
        same.put("get_retention_plan", "/api/v1/system/retention_plan?platform=edge");
        same.put("get_fleet_convergence", "/api/v1/system/node_platforms/edge/convergence");
        same.put("system_list_disk_image_webhooks", "/api/v1/system/disk_image_webhooks?recent=true");
        same.put("list_disk_image_webhook_endpoints", "/api/v1/system/disk_image_webhook_endpoints");
        same.put("list_ci_workers", "/api/v1/workers");
        same.put("list_ci_bootstraps", "/api/v1/system/ci/bootstraps");
        Map<String, Map<String, Object>> arguments = Map.of(
                "get_node_platform", args("node_platform_id", "edge"),
                "list_disk_image_publications", args("node_platform_id", "edge", "arch", "amd64"),
                "get_disk_image_publication", args("publication_id", current.toString()),
                "get_disk_image_publication_history", args("publication_id", older.toString()),
                "get_node_platform_audit", args("node_platform_id", platform.toString()),
                "get_retention_plan", args("node_platform_id", "edge"),
                "get_fleet_convergence", args("node_platform_id", "edge"),
                "system_list_disk_image_webhooks", args("recent", true));
        same.forEach((tool, route) -> {
            JsonNode viaMcp = ok(call(reader, tool, arguments.getOrDefault(tool, Map.of())));
            Api.Response viaRest = rest.get(route);
            assertThat(viaRest.status()).as(route + ": " + viaRest.body()).isEqualTo(200);
            assertThat(viaMcp).as(tool + " = GET " + route).isEqualTo(viaRest.json());
        });
        JsonNode listed = ok(call(reader, "list_disk_image_publications", args("node_platform_id", "edge")));
        assertThat(listed.get("data").size()).isEqualTo(3);
        assertThat(listed.get("data").get(0).get("platform_id").asString()).isEqualTo(platform.toString());
    }

    @Test
    void promoteRollBackRetentionAndItsErrorsThroughMcp() {
        UUID platform = fixtures.platform("edge");
        UUID older = fixtures.publication(platform, "uefi_disk", "amd64", "published", false, t0);
        UUID current = fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(60));
        McpSyncClient writer = http(Scope.DISK_IMAGES_WRITE);

        JsonNode rolledBack = ok(call(
                writer,
                "system_set_default_disk_image_publication",
                args("node_platform_id", "edge", "publication_id", older.toString())));
        assertThat(rolledBack.get("id").asString()).isEqualTo(older.toString());
        assertThat(rolledBack.get("active").asBoolean()).isTrue();
        JsonNode previous = new Api(port, Api.token(Scope.DISK_IMAGES_READ))
                .get("/api/v1/system/disk_image_publications/" + current)
                .json();
        assertThat(previous.get("status").asString()).isEqualTo("retired");
        assertThat(jdbc.sql("select actor from disk_image_pointer_change order by at desc, id desc limit 1")
                        .query(String.class)
                        .single())
                .as("the token's subject is audited as the actor")
                .isEqualTo("test-disk_images:write");

        JsonNode retention = ok(call(
                writer,
                "update_node_platform_retention",
                args("node_platform_id", platform.toString(), "disk_image_retention_count", 1)));
        assertThat(retention.get("disk_image_retention_count").asInt()).isEqualTo(1);
        JsonNode tooMany = problem(call(
                writer,
                "update_node_platform_retention",
                args("node_platform_id", "edge", "disk_image_retention_count", 101)));
        assertThat(tooMany.get("status").asInt()).isEqualTo(422);
        assertThat(tooMany.get("errors").findValuesAsString("field")).containsExactly("disk_image_retention_count");
        JsonNode report = ok(call(writer, "run_retention", args("node_platform_id", "edge")));
        assertThat(report.get("planned").asInt()).isGreaterThanOrEqualTo(0);

        JsonNode missing = problem(call(
                writer,
                "get_disk_image_publication",
                args("publication_id", UUID.randomUUID().toString())));
        // a write token reads nothing, as on REST: the read is refused before anything is looked up
        assertThat(missing.get("code").asString()).isEqualTo("auth/insufficient-scope");
        JsonNode notFound = problem(call(
                http(Scope.DISK_IMAGES_READ),
                "get_disk_image_publication",
                args("publication_id", UUID.randomUUID().toString())));
        assertThat(notFound.get("status").asInt()).isEqualTo(404);
        assertThat(notFound.get("code").asString()).isEqualTo("publication/not-found");
        assertThat(notFound.get("type").asString()).isEqualTo("urn:powernode:problem:publication/not-found");
        assertThat(notFound.get("request_id").asString()).isNotBlank();
        JsonNode unknownPlatform = problem(call(
                writer,
                "system_set_default_disk_image_publication",
                args("node_platform_id", "nope", "publication_id", older.toString())));
        assertThat(unknownPlatform.get("status").asInt()).isEqualTo(404);
    }

    @Test
    void aReadTokenIsRefusedOnEveryWriteToolAndAWriteTokenOnEveryAdminTool() {
        McpSyncClient reader = http(Scope.DISK_IMAGES_READ);
        McpSyncClient writer = http(Scope.DISK_IMAGES_WRITE);
        int refused = 0;
        for (var e : TOOLS.entrySet()) {
            if (e.getValue() == Scope.DISK_IMAGES_READ) {
                continue;
            }
            JsonNode p = problem(call(reader, e.getKey(), Map.of()));
            assertThat(p.get("status").asInt()).as(e.getKey()).isEqualTo(403);
            assertThat(p.get("code").asString()).isEqualTo("auth/insufficient-scope");
            assertThat(p.get("detail").asString())
                    .as(e.getKey())
                    .contains(e.getKey() + " needs the " + e.getValue().value() + " scope")
                    .contains("the token has disk_images:read");
            refused++;
            if (e.getValue() == Scope.SYSTEM_ADMIN) {
                assertThat(problem(call(writer, e.getKey(), Map.of()))
                                .get("code")
                                .asString())
                        .as(e.getKey())
                        .isEqualTo("auth/insufficient-scope");
            }
        }
        assertThat(refused).as("5 admin tools, 4 write tools").isEqualTo(9);
        assertThat(jdbc.sql("select count(*) from disk_image_webhook")
                        .query(Long.class)
                        .single())
                .isZero();
    }

    @Test
    void unknownParametersAreRefusedNamingEachAndNothingIsCreated() {
        McpSyncClient admin = http(Scope.SYSTEM_ADMIN);
        var secretsBefore = gitea().secrets("ops", "disk-images");
        JsonNode p = problem(call(
                admin,
                "bootstrap_disk_image_ci",
                args("owner", "ops", "repo", "disk-images", "label", "x", "account_id", "1", "force", true)));
        assertThat(p.get("status").asInt()).isEqualTo(422);
        assertThat(p.get("errors").findValuesAsString("field")).containsExactlyInAnyOrder("account_id", "force");
        assertThat(p.get("errors").get(0).get("message").asString()).contains("is not a parameter of this tool");
        JsonNode w = problem(call(
                admin,
                "provision_disk_image_webhook",
                args("label", "x", "node_platform_id", "a", "webhook_url", "b", "shared_secret", "c")));
        assertThat(w.get("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("node_platform_id", "webhook_url", "shared_secret");
        JsonNode missing = problem(call(
                admin, "dispatch_gitea_workflow", args("owner", "ops", "repo", "disk-images", "workflow", "b.yaml")));
        assertThat(missing.get("errors").findValuesAsString("field"))
                .containsExactlyInAnyOrder("workflow", "workflow_file", "ref");
        JsonNode wrongType = problem(
                call(admin, "get_gitea_workflow_run", args("owner", "ops", "repo", "disk-images", "run_id", "abc")));
        assertThat(wrongType.get("errors").get(0).get("field").asString()).isEqualTo("run_id");
        assertThat(jdbc.sql("select count(*) from disk_image_webhook")
                        .query(Long.class)
                        .single())
                .isZero();
        assertThat(gitea().secrets("ops", "disk-images")).isEqualTo(secretsBefore);
    }

    @Test
    void noOrABadTokenIsA401AtTheHttpLayer() throws Exception {
        Api anonymous = new Api(port, Api.token(Scope.DISK_IMAGES_READ)).anonymous();
        Api.Response r = anonymous.send(anonymous
                .request("/mcp")
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{}}")));
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().get("code").asString()).isEqualTo("auth/unauthenticated");
        assertThat(r.raw().headers().firstValue("WWW-Authenticate")).isPresent();
        assertThatThrownBy(() -> http("not-a-token")).isInstanceOf(RuntimeException.class);
    }

    @Test
    void bootstrapTwiceThroughMcpRotatesTheSameRowsAndTheGiteaToolsWork() {
        McpSyncClient admin = http(Scope.SYSTEM_ADMIN);
        Map<String, Object> bootstrap = args(
                "owner", "ops",
                "repo", "disk-images",
                "label", "amd64-builder",
                "platform_api_base", "https://platform.example.org",
                "create_platform_read_token", true);
        JsonNode first = ok(call(admin, "bootstrap_disk_image_ci", bootstrap));
        JsonNode again = ok(call(admin, "bootstrap_disk_image_ci", bootstrap));
        assertThat(first.get("ok").asBoolean()).isTrue();
        assertThat(again.get("rotated").asBoolean()).isTrue();
        assertThat(again.get("webhook_id")).isEqualTo(first.get("webhook_id"));
        assertThat(again.get("worker_id")).isEqualTo(first.get("worker_id"));
        assertThat(again.get("webhook_secret")).isNotEqualTo(first.get("webhook_secret"));
        assertThat(again.get("ci_worker_token")).isNotEqualTo(first.get("ci_worker_token"));
        assertThat(gitea().secrets("ops", "disk-images")
                        .get("POWERNODE_WEBHOOK_SECRET")
                        .data())
                .isEqualTo(again.get("webhook_secret").asString());
        for (String table : List.of("disk_image_webhook", "worker", "ci_bootstrap")) {
            assertThat(jdbc.sql("select count(*) from " + table)
                            .query(Long.class)
                            .single())
                    .as(table)
                    .isEqualTo(1);
        }
        // one-time secrets appear in the call that minted them, never in a list tool
        String secret = again.get("webhook_secret").asString();
        assertThat(text(call(admin, "list_ci_bootstraps", Map.of()))).doesNotContain(secret);
        assertThat(text(call(admin, "list_disk_image_webhook_endpoints", Map.of())))
                .doesNotContain(secret);

        JsonNode webhook = ok(call(admin, "provision_disk_image_webhook", args("label", "second-pipeline")));
        assertThat(webhook.get("webhook_url").asString())
                .endsWith(webhook.get("webhook_id").asString());
        JsonNode worker = ok(call(admin, "provision_ci_worker", args("label", "arm64-runner", "owner", "ops")));
        assertThat(worker.get("ci_worker_token").asString()).isEqualTo(last(gitea().registrationTokens()));
        JsonNode set = ok(call(
                admin,
                "set_gitea_action_secret",
                args("owner", "ops", "repo", "disk-images", "name", "OCI_REGISTRY_TOKEN", "value", "s3cret")));
        assertThat(set.get("created").asBoolean())
                .as("the bootstrap wrote it (registry credentials are configured): this replaced it")
                .isFalse();
        assertThat(gitea().secrets("ops", "disk-images")
                        .get("OCI_REGISTRY_TOKEN")
                        .data())
                .isEqualTo("s3cret");
        assertThat(text(call(admin, "list_gitea_action_secrets", args("owner", "ops", "repo", "disk-images"))))
                .contains("OCI_REGISTRY_TOKEN")
                .doesNotContain("s3cret");
        JsonNode unmanaged = problem(call(admin, "list_gitea_workflow_runs", args("owner", "someone", "repo", "else")));
        assertThat(unmanaged.get("code").asString()).isEqualTo("ci/repository-not-managed");

        McpSyncClient writer = http(Scope.DISK_IMAGES_WRITE);
        JsonNode run = ok(call(
                writer,
                "dispatch_gitea_workflow",
                args(
                        "owner", "ops",
                        "repo", "disk-images",
                        "workflow_file", "build-disk-image.yaml",
                        "ref", "main",
                        "inputs", Map.of("platform_slug", "edge"))));
        long runId = run.get("run_id").asLong();
        McpSyncClient reader = http(Scope.DISK_IMAGES_READ);
        JsonNode runs = ok(call(
                reader,
                "list_gitea_workflow_runs",
                args("owner", "ops", "repo", "disk-images", "workflow_file", "build-disk-image.yaml")));
        assertThat(runs.get("data").findValuesAsString("workflow_file")).containsOnly("build-disk-image.yaml");
        // the spec writes run ids quoted; a number is fine too
        JsonNode withJobs = ok(call(
                reader, "get_gitea_workflow_run", args("owner", "ops", "repo", "disk-images", "run_id", "" + runId)));
        long job = withJobs.get("jobs").get(0).get("id").asLong();
        gitea().log(job, "one\ntwo\nthree\n");
        JsonNode log = ok(call(
                reader, "get_gitea_job_logs", args("owner", "ops", "repo", "disk-images", "job_id", job, "tail", 2)));
        assertThat(log.get("lines").valueStream().map(JsonNode::asString).toList())
                .containsExactly("two", "three");
        gitea().fail("GET .*/actions/runs/.*", 503);
        JsonNode down = problem(
                call(reader, "get_gitea_workflow_run", args("owner", "ops", "repo", "disk-images", "run_id", runId)));
        assertThat(down.get("code").asString()).isEqualTo("gitea/unavailable");
    }

    @Test
    void theCliServesTheSameToolsOverStdio() {
        UUID platform = fixtures.platform("edge");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Map<String, String> env = new HashMap<>();
        env.put("MCP_TEST_TOKEN", Api.token(Scope.DISK_IMAGES_READ));
        McpSyncClient stdio = McpClient.sync(new StdioClientTransport(
                        ServerParameters.builder(java)
                                .args(
                                        "-cp",
                                        System.getProperty("java.class.path"),
                                        "dev.powernode.cli.PowernodeCli",
                                        "mcp",
                                        "--url",
                                        "http://127.0.0.1:" + port + "/mcp",
                                        "--token-env",
                                        "MCP_TEST_TOKEN")
                                .env(env)
                                .build(),
                        new JacksonMcpJsonMapper(JsonMapper.builder().build())))
                .requestTimeout(Duration.ofSeconds(30))
                .initializationTimeout(Duration.ofSeconds(60))
                .build();
        clients.add(stdio);
        McpSchema.InitializeResult init = stdio.initialize();
        assertThat(init.serverInfo().name()).isEqualTo("powernode-platform");
        Set<String> names = stdio.listTools().tools().stream().map(Tool::name).collect(Collectors.toSet());
        assertThat(names).isEqualTo(TOOLS.keySet());
        JsonNode p = ok(call(stdio, "get_node_platform", args("node_platform_id", "edge")));
        assertThat(p.get("id").asString()).isEqualTo(platform.toString());
        JsonNode refused = problem(call(stdio, "run_retention", Map.of()));
        assertThat(refused.get("code").asString()).isEqualTo("auth/insufficient-scope");
        JsonNode unknown = problem(call(stdio, "get_node_platform", args("node_platform_id", "edge", "slug", "x")));
        assertThat(unknown.get("errors").findValuesAsString("field")).containsExactly("slug");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> properties(Tool t) {
        return (Map<String, Object>) t.inputSchema().get("properties");
    }

    static <T> T last(List<T> list) {
        return list.get(list.size() - 1);
    }
}
