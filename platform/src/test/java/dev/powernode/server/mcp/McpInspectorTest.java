package dev.powernode.server.mcp;

import static dev.powernode.server.mcp.McpToolsTest.args;
import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.GiteaBackedTest;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.testkit.McpInspector;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The official MCP Inspector's CLI against the running service, over Streamable HTTP and over stdio
 * through {@code powernode mcp}: every tool listed with its schema, each called once with the right
 * result, a read-only token refused on every tool that changes something, an unknown parameter
 * refused by name, and no token refused before MCP starts.
 */
@IntegrationTest
class McpInspectorTest extends GiteaBackedTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Fixtures fixtures;
    final Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(2));

    @BeforeEach
    void setUp() {
        fixtures = new Fixtures(jdbc);
        fixtures.reset();
        jdbc.sql("truncate ci_bootstrap").update();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + port + "/mcp");
    }

    McpInspector http(Scope scope) {
        return McpInspector.http(endpoint(), Api.token(scope));
    }

    static JsonNode answer(McpInspector.Result r) {
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return JSON.readTree(r.stdout());
    }

    /** A successful call's structured content (its text is the same JSON). */
    static JsonNode ok(McpInspector.Result r) {
        JsonNode a = answer(r);
        assertThat(a.path("isError").asBoolean(false)).as(a.toString()).isFalse();
        assertThat(JSON.readTree(a.get("content").get(0).get("text").asString()))
                .isEqualTo(a.get("structuredContent"));
        return a.get("structuredContent");
    }

    static JsonNode problem(McpInspector.Result r) {
        JsonNode a = answer(r);
        assertThat(a.path("isError").asBoolean(false)).as(a.toString()).isTrue();
        return JSON.readTree(a.get("content").get(0).get("text").asString());
    }

    @Test
    void listsEveryToolWithItsSchemaAndCallsEachOnceOverHttp() {
        JsonNode listed = answer(http(Scope.DISK_IMAGES_READ).listTools());
        Set<String> names = new HashSet<>();
        for (JsonNode t : listed.get("tools")) {
            names.add(t.get("name").asString());
            assertThat(t.get("inputSchema").get("additionalProperties").asBoolean(true))
                    .as(t.get("name").asString())
                    .isFalse();
            assertThat(t.get("outputSchema").get("type").asString()).isEqualTo("object");
            assertThat(t.get("annotations").has("readOnlyHint")).isTrue();
        }
        assertThat(names).isEqualTo(McpToolsTest.TOOLS.keySet());

        UUID platform = fixtures.platform("edge");
        UUID older = fixtures.publication(platform, "uefi_disk", "amd64", "published", false, t0);
        UUID current = fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(60));
        McpInspector admin = http(Scope.SYSTEM_ADMIN);
        McpInspector writer = http(Scope.DISK_IMAGES_WRITE);
        McpInspector reader = http(Scope.DISK_IMAGES_READ);
        Set<String> called = new HashSet<>();

        JsonNode boot = ok(admin.callTool(
                "bootstrap_disk_image_ci",
                args(
                        "owner",
                        "ops",
                        "repo",
                        "disk-images",
                        "label",
                        "amd64-builder",
                        "create_platform_read_token",
                        true)));
        assertThat(boot.get("gitea_secrets_set").size())
                .as("5 of the platform, 2 of the registry")
                .isEqualTo(7);
        called.add("bootstrap_disk_image_ci");
        assertThat(ok(admin.callTool("provision_disk_image_webhook", args("label", "second")))
                        .get("webhook_secret")
                        .asString())
                .hasSize(64);
        called.add("provision_disk_image_webhook");
        assertThat(ok(admin.callTool("provision_ci_worker", args("label", "runner", "owner", "ops")))
                        .get("ci_worker_token")
                        .asString())
                .isEqualTo(gitea().registrationTokens()
                        .get(gitea().registrationTokens().size() - 1));
        called.add("provision_ci_worker");
        assertThat(ok(admin.callTool(
                                "set_gitea_action_secret",
                                args(
                                        "owner",
                                        "ops",
                                        "repo",
                                        "disk-images",
                                        "name",
                                        "OCI_REGISTRY_TOKEN",
                                        "value",
                                        "t0k")))
                        .get("name")
                        .asString())
                .isEqualTo("OCI_REGISTRY_TOKEN");
        assertThat(gitea().secrets("ops", "disk-images")
                        .get("OCI_REGISTRY_TOKEN")
                        .data())
                .isEqualTo("t0k");
        called.add("set_gitea_action_secret");
        assertThat(ok(admin.callTool("list_gitea_action_secrets", args("owner", "ops", "repo", "disk-images")))
                        .get("data")
                        .findValuesAsString("name"))
                .contains("OCI_REGISTRY_TOKEN", "POWERNODE_WEBHOOK_SECRET");
        called.add("list_gitea_action_secrets");

        long runId = ok(writer.callTool(
                        "dispatch_gitea_workflow",
                        args(
                                "owner", "ops",
                                "repo", "disk-images",
                                "workflow_file", "build-disk-image.yaml",
                                "ref", "main",
                                "inputs", Map.of("platform_slug", "edge"))))
                .get("run_id")
                .asLong();
        called.add("dispatch_gitea_workflow");
        assertThat(ok(reader.callTool("list_gitea_workflow_runs", args("owner", "ops", "repo", "disk-images")))
                        .get("data")
                        .valueStream()
                        .map(n -> n.get("id").asLong())
                        .toList())
                .contains(runId);
        called.add("list_gitea_workflow_runs");
        JsonNode run = ok(reader.callTool(
                "get_gitea_workflow_run", args("owner", "ops", "repo", "disk-images", "run_id", runId)));
        long job = run.get("jobs").get(0).get("id").asLong();
        called.add("get_gitea_workflow_run");
        gitea().log(job, "built\npushed\nsigned\n");
        assertThat(ok(reader.callTool(
                                "get_gitea_job_logs",
                                args("owner", "ops", "repo", "disk-images", "job_id", job, "tail", 1)))
                        .get("lines")
                        .get(0)
                        .asString())
                .isEqualTo("signed");
        called.add("get_gitea_job_logs");

        JsonNode promoted = ok(writer.callTool(
                "system_set_default_disk_image_publication",
                args("node_platform_id", platform.toString(), "publication_id", older.toString())));
        assertThat(promoted.get("active").asBoolean()).isTrue();
        called.add("system_set_default_disk_image_publication");
        assertThat(ok(reader.callTool("get_disk_image_publication", args("publication_id", current.toString())))
                        .get("status")
                        .asString())
                .isEqualTo("retired");
        called.add("get_disk_image_publication");
        assertThat(ok(reader.callTool("get_disk_image_publication_history", args("publication_id", current.toString())))
                        .get("data")
                        .findValuesAsString("to"))
                .contains("retired");
        called.add("get_disk_image_publication_history");
        assertThat(ok(reader.callTool(
                                "list_disk_image_publications",
                                args("node_platform_id", "edge", "status", "published")))
                        .get("data")
                        .size())
                .isEqualTo(1);
        called.add("list_disk_image_publications");
        assertThat(ok(reader.callTool("get_node_platform_audit", args("node_platform_id", "edge")))
                        .get("data")
                        .findValuesAsString("actor"))
                .contains("test-disk_images:write");
        called.add("get_node_platform_audit");
        assertThat(ok(reader.callTool("list_node_platforms", Map.of()))
                        .get("meta")
                        .get("total")
                        .asInt())
                .isEqualTo(1);
        called.add("list_node_platforms");
        assertThat(ok(reader.callTool("get_node_platform", args("node_platform_id", "edge")))
                        .get("id")
                        .asString())
                .isEqualTo(platform.toString());
        called.add("get_node_platform");
        assertThat(ok(writer.callTool(
                                "update_node_platform_retention",
                                args("node_platform_id", "edge", "disk_image_retention_count", 1)))
                        .get("disk_image_retention_count")
                        .asInt())
                .isEqualTo(1);
        called.add("update_node_platform_retention");
        JsonNode plan = ok(reader.callTool("get_retention_plan", args("node_platform_id", "edge")));
        called.add("get_retention_plan");
        JsonNode report = ok(writer.callTool("run_retention", args("node_platform_id", "edge")));
        assertThat(report.get("planned").asInt()).isEqualTo(plan.get("data").size());
        called.add("run_retention");
        assertThat(ok(reader.callTool("get_fleet_convergence", args("node_platform_id", "edge")))
                        .get("data")
                        .isArray())
                .isTrue();
        called.add("get_fleet_convergence");
        assertThat(ok(reader.callTool("system_list_disk_image_webhooks", args("recent", true)))
                        .get("meta")
                        .get("total")
                        .asLong())
                .isZero();
        called.add("system_list_disk_image_webhooks");
        assertThat(ok(reader.callTool("list_disk_image_webhook_endpoints", Map.of()))
                        .get("data")
                        .findValuesAsString("label"))
                .containsExactlyInAnyOrder("amd64-builder", "second");
        called.add("list_disk_image_webhook_endpoints");
        assertThat(ok(reader.callTool("list_ci_workers", Map.of())).get("data").findValuesAsString("label"))
                .containsExactlyInAnyOrder("amd64-builder", "runner");
        called.add("list_ci_workers");
        assertThat(ok(reader.callTool("list_ci_bootstraps", Map.of()))
                        .get("data")
                        .get(0)
                        .get("label")
                        .asString())
                .isEqualTo("amd64-builder");
        called.add("list_ci_bootstraps");

        assertThat(called).isEqualTo(McpToolsTest.TOOLS.keySet());
    }

    @Test
    void aReadOnlyTokenIsRefusedOnEveryToolThatChangesSomethingAndUnknownParametersAreNamed() {
        McpInspector reader = http(Scope.DISK_IMAGES_READ);
        for (var e : McpToolsTest.TOOLS.entrySet()) {
            if (e.getValue() == Scope.DISK_IMAGES_READ) {
                continue;
            }
            JsonNode p = problem(reader.callTool(e.getKey(), Map.of()));
            assertThat(p.get("code").asString()).as(e.getKey()).isEqualTo("auth/insufficient-scope");
            assertThat(p.get("detail").asString())
                    .contains("needs the " + e.getValue().value() + " scope");
        }
        JsonNode unknown = problem(http(Scope.SYSTEM_ADMIN)
                .callTool(
                        "bootstrap_disk_image_ci",
                        args("owner", "ops", "repo", "disk-images", "label", "x", "arches", List.of("amd64"))));
        assertThat(unknown.get("status").asInt()).isEqualTo(422);
        assertThat(unknown.get("errors").findValuesAsString("field")).containsExactly("arches");
        assertThat(jdbc.sql("select count(*) from disk_image_webhook")
                        .query(Long.class)
                        .single())
                .isZero();
    }

    @Test
    void withoutATokenTheInspectorCannotConnect() {
        McpInspector.Result r = McpInspector.http(endpoint(), null).listTools();
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.stderr()).contains("401");
    }

    @Test
    void overStdioThroughPowernodeMcp() {
        UUID platform = fixtures.platform("edge");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        McpInspector stdio = McpInspector.stdio(
                List.of(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        "dev.powernode.cli.PowernodeCli",
                        "mcp",
                        "--url",
                        endpoint().toString(),
                        "--token-env",
                        "PN_MCP_TOKEN"),
                Map.of("PN_MCP_TOKEN", Api.token(Scope.DISK_IMAGES_READ)));
        Set<String> names = new HashSet<>();
        answer(stdio.listTools())
                .get("tools")
                .forEach(t -> names.add(t.get("name").asString()));
        assertThat(names).isEqualTo(McpToolsTest.TOOLS.keySet());
        assertThat(ok(stdio.callTool("get_node_platform", args("node_platform_id", "edge")))
                        .get("id")
                        .asString())
                .isEqualTo(platform.toString());
        assertThat(problem(stdio.callTool("run_retention", Map.of()))
                        .get("code")
                        .asString())
                .isEqualTo("auth/insufficient-scope");
    }
}
