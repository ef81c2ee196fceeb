package dev.powernode.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.common.token.SigningKey;
import dev.powernode.common.token.TokenMinter;
import dev.powernode.server.shared.ServiceProperties;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.SettableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class AuthTest {
    static final String PUBLICATIONS = "/api/v1/system/disk_image_publications";

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @Autowired
    ServiceProperties service;

    @Autowired
    AuthProperties auth;

    @Autowired
    SettableClock clock;

    Api api;

    @BeforeEach
    void setUp() {
        new Fixtures(jdbc).reset();
        api = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
    }

    @Test
    void everyApiRouteNeedsAToken() {
        for (String path : List.of(
                PUBLICATIONS,
                "/api/v1/system/node_platforms",
                "/api/v1/workers?role=ci_worker",
                "/api/v1/system/disk_image_webhooks?recent=true",
                "/api/v1/system/api_tokens",
                "/actuator/prometheus")) {
            Api.Response r = api.anonymous().get(path);
            assertThat(r.status()).as(path).isEqualTo(401);
            assertThat(r.isProblem()).as(path).isTrue();
            assertThat(r.raw().headers().firstValue("WWW-Authenticate"))
                    .as(path)
                    .hasValueSatisfying(h -> assertThat(h).startsWith("Bearer"));
        }
        assertThat(api.anonymous().get("/actuator/health/readiness").status()).isEqualTo(200);
    }

    /**
     * The webhook intake and the worker API are answered by their own filters before Spring
     * Security: no bearer rule can apply to the intake (whatever the method), and a worker request
     * without a worker token is refused by the worker filter with its own challenge.
     */
    @Test
    void theWebhookIntakeAndTheWorkerApiAreAnsweredBeforeBearerSecurity() {
        String intake = "/api/v1/system/webhooks/disk_image/built/" + UUID.randomUUID();
        for (Api.Response r :
                List.of(api.anonymous().get(intake), api.anonymous().delete(intake))) {
            assertThat(r.status()).isEqualTo(405);
            assertThat(r.isProblem()).isTrue();
            assertThat(r.json().get("code").asString()).isEqualTo("http/405");
            assertThat(r.raw().headers().firstValue("Allow")).hasValue("POST");
        }
        Api.Response unsigned = api.anonymous().post(intake, "{}");
        assertThat(unsigned.isProblem()).isTrue();
        assertThat(unsigned.json().get("code").asString()).startsWith("webhook/");

        Api.Response worker = api.get("/api/v1/system/worker_api/disk_image_publications/x");
        assertThat(worker.status()).isEqualTo(401);
        assertThat(worker.json().get("code").asString()).isEqualTo("auth/worker-unauthenticated");
        assertThat(worker.raw().headers().firstValue("WWW-Authenticate"))
                .hasValue("Bearer realm=\"powernode-workers\"");
        assertThat(worker.raw().headers().firstValue("Cache-Control"))
                .hasValueSatisfying(h -> assertThat(h).contains("no-store"));
    }

    @Test
    void readScopeCannotWrite() {
        Api reader = api.as(Api.token(Scope.DISK_IMAGES_READ));
        assertThat(reader.get(PUBLICATIONS).status()).isEqualTo(200);
        Api.Response r = reader.post("/api/v1/system/node_platforms", "{\"slug\":\"x\",\"name\":\"x\"}");
        assertThat(r.status()).isEqualTo(403);
        assertThat(r.json().get("code").asString()).isEqualTo("auth/insufficient-scope");
        assertThat(jdbc.sql("select count(*) from node_platform")
                        .query(Long.class)
                        .single())
                .isZero();
    }

    @Test
    void writeScopeCannotRead() {
        Api writer = api.as(Api.token(Scope.DISK_IMAGES_WRITE));
        assertThat(writer.get(PUBLICATIONS).status()).isEqualTo(403);
        assertThat(writer.get("/api/v1/system/api_tokens").status()).isEqualTo(403);
    }

    @Test
    void aTokenIsRefusedOnceTheServiceClockPassesItsExpiry() {
        String token = Api.MINTER
                .mint("old", List.of(Scope.SYSTEM_ADMIN), clock.instant(), Duration.ofHours(1))
                .token();
        assertThat(api.as(token).get(PUBLICATIONS).status()).isEqualTo(200);

        clock.advance(Duration.ofHours(3));

        Api.Response r = api.as(token).get(PUBLICATIONS);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().get("detail").asString()).containsIgnoringCase("expired");
    }

    @Test
    void aTokenExpiredForLongerThanTheSmallClockSkewIsRefused() {
        assertThat(auth.jwtClockSkew()).isEqualTo(Duration.ofSeconds(5));
        String token = Api.MINTER
                .mint("recent", List.of(Scope.SYSTEM_ADMIN), clock.instant(), Duration.ofHours(1))
                .token();

        clock.advance(Duration.ofHours(1).plusSeconds(1));
        assertThat(api.as(token).get(PUBLICATIONS).status())
                .as("expired 1 s ago: inside the skew")
                .isEqualTo(200);

        // expired 15 s ago: inside Spring's implicit 60 s skew, outside ours (5 s by default)
        clock.advance(Duration.ofSeconds(14));
        Api.Response r = api.as(token).get(PUBLICATIONS);
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().get("detail").asString()).containsIgnoringCase("expired");
    }

    @Test
    void theProtectedResourceMetadataClaimsOnlyWhatHolds() {
        Api.Response r = api.anonymous().get("/.well-known/oauth-protected-resource");
        assertThat(r.status()).isEqualTo(200);
        JsonNode meta = r.json();
        assertThat(meta.path("tls_client_certificate_bound_access_tokens").asBoolean(false))
                .as("tokens are plain bearer tokens, not bound to client certificates: " + meta)
                .isFalse();
        assertThat(meta.get("resource").asString())
                .isEqualTo(service.publicUrl().toString());
        assertThat(meta.get("bearer_methods_supported").toString()).isEqualTo("[\"header\"]");
    }

    @Test
    void tokenSignedWithAnotherKeyIsRefused() {
        String forged = new TokenMinter(SigningKey.fromBase64("Zm9yZ2VkLWtleS1mb3JnZWQta2V5LWZvcmdlZC1rZXktZm9yZ2Vk"))
                .mint("mallory", List.of(Scope.SYSTEM_ADMIN), Instant.now(), Duration.ofHours(1))
                .token();
        assertThat(api.as(forged).get(PUBLICATIONS).status()).isEqualTo(401);
        assertThat(api.as("not-a-jwt").get(PUBLICATIONS).status()).isEqualTo(401);
    }

    @Test
    void adminCreatesListsAndRevokesTokens() {
        Api.Response created = api.post(
                "/api/v1/system/api_tokens",
                "{\"subject\":\"runner-1\",\"scopes\":[\"disk_images:read\"],\"ttl\":\"2h\",\"description\":\"CI read\"}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        String token = created.json().get("token").asString();
        String id = created.json().get("api_token").get("id").asString();

        Api runner = api.as(token);
        assertThat(runner.get(PUBLICATIONS).status()).isEqualTo(200);
        assertThat(runner.post("/api/v1/system/node_platforms", "{\"slug\":\"x\",\"name\":\"x\"}")
                        .status())
                .isEqualTo(403);

        JsonNode listed =
                api.get("/api/v1/system/api_tokens").json().get("data").get(0);
        assertThat(listed.get("subject").asString()).isEqualTo("runner-1");
        assertThat(listed.get("scopes").get(0).asString()).isEqualTo("disk_images:read");
        assertThat(listed.has("token")).as("the token itself is never listed").isFalse();

        assertThat(api.delete("/api/v1/system/api_tokens/" + id).status()).isEqualTo(204);
        Api.Response afterRevoke = runner.get(PUBLICATIONS);
        assertThat(afterRevoke.status()).isEqualTo(401);
        assertThat(afterRevoke.json().get("detail").asString()).contains("revoked");
    }

    @Test
    void tokenCreationValidatesItsInput() {
        Api.Response r =
                api.post("/api/v1/system/api_tokens", "{\"subject\":\"\",\"scopes\":[\"root\"],\"ttl\":\"forever\"}");
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.json().get("errors").findValuesAsString("field")).contains("scopes[0]", "ttl");
        assertThat(api.delete("/api/v1/system/api_tokens/" + UUID.randomUUID()).status())
                .isEqualTo(404);
    }
}
