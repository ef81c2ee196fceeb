package dev.powernode.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * What every route refuses before it reaches a facade: coerced scalars, control characters, and
 * request lines the container or the firewall rejects, all answered in problem+json.
 */
@IntegrationTest
class StrictInputTest {
    static final String PLATFORMS = "/api/v1/system/node_platforms";

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Api admin;

    @BeforeEach
    void setUp() {
        new Fixtures(jdbc).reset();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
    }

    long platforms() {
        return jdbc.sql("select count(*) from node_platform").query(Long.class).single();
    }

    static void assertNamesField(Api.Response r, String field) {
        assertThat(r.status()).as(r.body()).isEqualTo(422);
        assertThat(r.isProblem()).isTrue();
        assertThat(r.json().get("errors").findValuesAsString("field"))
                .as(r.body())
                .contains(field);
    }

    @Test
    void createRefusesTheScalarCoercionsThatPatchRefuses() {
        String id = admin.post(PLATFORMS, "{\"slug\":\"strict\",\"name\":\"Strict\"}")
                .json()
                .get("id")
                .asString();
        String[][] coercions = {
            {"disk_image_retention_count", "\"3\""}, // string for an integer
            {"disk_image_retention_count", "3.7"}, // float for an integer
            {"require_tlog", "1"}, // integer for a boolean
            {"require_tlog", "\"true\""}, // string for a boolean
            {"name", "123"}, // integer for a string
            {"name", "true"}, // boolean for a string
            {"build_script", "1.5"}, // float for a string
        };
        for (String[] c : coercions) {
            String field = c[0];
            String value = c[1];
            Api.Response created = admin.post(
                    PLATFORMS,
                    "{\"slug\":\"coerced\",\"name\":\"N\",\"" + field + "\":" + value
                            + "}".replace("\"name\":\"N\",\"name\"", "\"name\""));
            assertNamesField(created, field);
            assertNamesField(admin.patch(PLATFORMS + "/" + id, "{\"" + field + "\":" + value + "}"), field);
        }
        assertThat(platforms()).isEqualTo(1);
        assertNamesField(
                admin.post("/api/v1/system/api_tokens", "{\"subject\":\"s\",\"scopes\":[1],\"ttl\":\"1h\"}"),
                "scopes[0]");
    }

    @Test
    void controlCharactersAreRefusedInEveryStringFieldNamingIt() {
        assertNamesField(admin.post(PLATFORMS, "{\"slug\":\"nul\",\"name\":\"a\\u0000b\"}"), "name");
        assertNamesField(admin.post(PLATFORMS, "{\"slug\":\"nl\",\"name\":\"two\\nlines\"}"), "name");
        assertNamesField(
                admin.post(PLATFORMS, "{\"slug\":\"key\",\"name\":\"K\",\"cosign_public_keys\":[\"x\\u0000\"]}"),
                "cosign_public_keys[0]");
        assertNamesField(
                admin.post(PLATFORMS, "{\"slug\":\"esc\",\"name\":\"E\",\"build_script\":\"echo \\u001b[31m\"}"),
                "build_script");
        assertNamesField(admin.post("/api/v1/workers", "{\"label\":\"runner\\u0000\"}"), "label");
        assertNamesField(
                admin.post(
                        "/api/v1/system/api_tokens",
                        "{\"subject\":\"s\",\"scopes\":[\"disk_images:read\"],\"ttl\":\"1h\",\"description\":\"\\u0085\"}"),
                "description");
        assertNamesField(
                admin.post("/api/v1/system/event_subscriptions", "{\"url\":\"https://x.example/\\u0000\"}"), "url");
        assertThat(platforms()).isZero();

        String id = admin.post(
                        PLATFORMS,
                        "{\"slug\":\"multi\",\"name\":\"Multi\",\"build_script\":\"set -eu\\r\\n\\tmake image\\n\"}")
                .json()
                .get("id")
                .asString();
        assertThat(jdbc.sql("select build_script from node_platform where id = :id::uuid")
                        .param("id", id)
                        .query(String.class)
                        .single())
                .as("a multi-line field keeps its line breaks and tabs")
                .isEqualTo("set -eu\r\n\tmake image\n");
        assertNamesField(admin.patch(PLATFORMS + "/" + id, "{\"name\":\"x\\u0001\"}"), "name");
        assertNamesField(admin.patch(PLATFORMS + "/" + id, "{\"build_script\":\"a\\u0000\"}"), "build_script");
        assertNamesField(
                admin.patch(PLATFORMS + "/" + id, "{\"cosign_public_keys\":[\"ok\",\"\\u0007\"]}"),
                "cosign_public_keys[1]");
    }

    @Test
    void controlCharactersInQueryParametersAreRefusedNamingTheParameter() {
        Api.Response r = admin.get("/api/v1/system/disk_image_publications?platform=a%00b");
        assertNamesField(r, "platform");
        assertNamesField(admin.get(PLATFORMS + "?page=1&per_page=%1b"), "per_page");
        assertThat(admin.get(PLATFORMS + "?page=1&per_page=2").status()).isEqualTo(200);
    }

    @Test
    void requestLinesRefusedByTheContainerOrTheFirewallAnswerProblemJson() throws IOException {
        String[][] cases = {
            {PLATFORMS + "/a%00b", "http/400"}, // NUL: refused by the container's URI normalization
            {PLATFORMS + "/a%2Fb", "http/400"}, // an encoded slash: refused by the container
            {"/api/v1//system/node_platforms", "request/rejected"}, // a double slash: Spring Security's firewall
            {PLATFORMS + "/a%25b", "request/rejected"}, // an encoded percent: the firewall
        };
        for (String[] c : cases) {
            String target = c[0];
            String response = raw("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            String head = response.substring(0, Math.max(0, response.indexOf("\r\n\r\n")));
            assertThat(response).as(target).startsWith("HTTP/1.1 400");
            assertThat(head.toLowerCase())
                    .as(target)
                    .contains("content-type: application/problem+json")
                    .contains("x-content-type-options: nosniff");
            assertThat(response)
                    .as(target)
                    .contains("\"status\":400")
                    .contains("\"code\":\"" + c[1] + "\"")
                    .doesNotContain("<html")
                    .doesNotContainIgnoringCase("tomcat");
        }
    }

    String raw(String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
