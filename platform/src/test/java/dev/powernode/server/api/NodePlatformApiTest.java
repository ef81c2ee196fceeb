package dev.powernode.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import java.net.http.HttpRequest;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

@IntegrationTest
class NodePlatformApiTest {
    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    Api admin;
    Api writer;
    Api reader;

    @BeforeEach
    void setUp() {
        new Fixtures(jdbc).reset();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        writer = admin.as(Api.token(Scope.DISK_IMAGES_WRITE));
        reader = admin.as(Api.token(Scope.DISK_IMAGES_READ));
    }

    static String pemPublicKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        String b64 = Base64.getMimeEncoder(64, "\n".getBytes())
                .encodeToString(g.generateKeyPair().getPublic().getEncoded());
        return "-----BEGIN PUBLIC KEY-----\n" + b64 + "\n-----END PUBLIC KEY-----\n";
    }

    @Test
    void createsListsShowsAndPatchesAPlatform() throws Exception {
        String key = pemPublicKey().replace("\n", "\\n");
        Api.Response created = admin.post("/api/v1/system/node_platforms", """
                {"slug":"ubuntu-2404-base","name":"Ubuntu 24.04","build_script":"build.sh --arch amd64",
                 "cosign_public_keys":["%s"],"disk_image_retention_count":5}
                """.formatted(key));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode body = created.json();
        String id = body.get("id").asString();
        assertThat(created.raw().headers().firstValue("Location")).hasValue("/api/v1/system/node_platforms/" + id);
        assertThat(body.get("slug").asString()).isEqualTo("ubuntu-2404-base");
        assertThat(body.get("disk_image_retention_count").asInt()).isEqualTo(5);
        assertThat(body.get("cosign_public_keys").size()).isEqualTo(1);
        assertThat(body.get("primary_artifact_family").asString()).isEqualTo("uefi_disk");
        assertThat(body.get("disk_image_oci_ref").isNull()).isTrue();

        Api.Response list = reader.get("/api/v1/system/node_platforms");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.json().get("data").get(0).get("id").asString()).isEqualTo(id);
        assertThat(list.json().get("meta").get("total").asLong()).isEqualTo(1);

        assertThat(reader.get("/api/v1/system/node_platforms/" + id)
                        .json()
                        .get("slug")
                        .asString())
                .isEqualTo("ubuntu-2404-base");
        assertThat(reader.get("/api/v1/system/node_platforms/ubuntu-2404-base")
                        .json()
                        .get("id")
                        .asString())
                .isEqualTo(id);

        Api.Response patched = admin.patch(
                "/api/v1/system/node_platforms/" + id,
                "{\"disk_image_retention_count\": 7, \"name\": \"Renamed\", \"build_script\": null}");
        assertThat(patched.status()).as(patched.body()).isEqualTo(200);
        assertThat(patched.json().get("disk_image_retention_count").asInt()).isEqualTo(7);
        assertThat(patched.json().get("name").asString()).isEqualTo("Renamed");
        assertThat(patched.json().get("build_script").isNull()).isTrue();
        assertThat(patched.json().get("cosign_public_keys").size())
                .as("untouched field kept")
                .isEqualTo(1);
        assertThat(jdbc.sql("select disk_image_retention_count from node_platform where id = :id::uuid")
                        .param("id", id)
                        .query(Integer.class)
                        .single())
                .isEqualTo(7);
    }

    @Test
    void changingTheVerificationPolicyNeedsAdmin() {
        String id = writer.post("/api/v1/system/node_platforms", "{\"slug\":\"p1\",\"name\":\"P1\"}")
                .json()
                .get("id")
                .asString();
        String keyless =
                "{\"cosign_identity_regexp\":\"^https://git.example.org/ops/disk-images/.*$\",\"cosign_oidc_issuer\":\"https://token.example.org\"}";

        Api.Response denied = writer.patch("/api/v1/system/node_platforms/" + id, keyless);
        assertThat(denied.status()).isEqualTo(403);
        assertThat(denied.isProblem()).isTrue();

        Api.Response allowed = admin.patch("/api/v1/system/node_platforms/" + id, keyless);
        assertThat(allowed.status()).as(allowed.body()).isEqualTo(200);
        assertThat(allowed.json().get("cosign_oidc_issuer").asString()).isEqualTo("https://token.example.org");
    }

    @Test
    void theBuildScriptIsAdminOnlyOnCreateAndUpdate() {
        // build runners execute it as root: a write token must not be able to set or clear it
        Api.Response deniedCreate = writer.post(
                "/api/v1/system/node_platforms", "{\"slug\":\"b1\",\"name\":\"B1\",\"build_script\":\"{}\"}");
        assertThat(deniedCreate.status()).isEqualTo(403);
        assertThat(deniedCreate.json().get("code").asString()).isEqualTo("auth/insufficient-scope");
        assertThat(deniedCreate.json().get("detail").asString()).contains("build_script", "root");
        assertThat(jdbc.sql("select count(*) from node_platform")
                        .query(Long.class)
                        .single())
                .isZero();

        String id = writer.post("/api/v1/system/node_platforms", "{\"slug\":\"b1\",\"name\":\"B1\"}")
                .json()
                .get("id")
                .asString();
        for (String change : new String[] {"{\"build_script\":\"{}\"}", "{\"build_script\":null}"}) {
            Api.Response denied = writer.patch("/api/v1/system/node_platforms/" + id, change);
            assertThat(denied.status()).as(change).isEqualTo(403);
            assertThat(denied.json().get("code").asString()).isEqualTo("auth/insufficient-scope");
        }
        Api.Response renamed = writer.patch("/api/v1/system/node_platforms/" + id, "{\"name\":\"Other\"}");
        assertThat(renamed.status()).as("other fields stay a writer's").isEqualTo(200);

        Api.Response allowed = admin.patch("/api/v1/system/node_platforms/" + id, "{\"build_script\":\"{}\"}");
        assertThat(allowed.status()).as(allowed.body()).isEqualTo(200);
        assertThat(allowed.json().get("build_script").asString()).isEqualTo("{}");
    }

    @Test
    void settingAVerificationPolicyOnCreateNeedsAdmin() throws Exception {
        String key = pemPublicKey().replace("\n", "\\n");
        for (String policy : new String[] {
            "\"cosign_identity_regexp\":\".*\",\"cosign_oidc_issuer\":\"https://x\"",
            "\"cosign_public_keys\":[\"" + key + "\"]",
            "\"require_tlog\":false"
        }) {
            Api.Response denied =
                    writer.post("/api/v1/system/node_platforms", "{\"slug\":\"p0\",\"name\":\"P0\"," + policy + "}");
            assertThat(denied.status()).as(policy).isEqualTo(403);
            assertThat(denied.isProblem()).isTrue();
            assertThat(denied.json().get("code").asString()).isEqualTo("auth/insufficient-scope");
        }
        assertThat(jdbc.sql("select count(*) from node_platform")
                        .query(Long.class)
                        .single())
                .isZero();
        Api.Response allowed = admin.post(
                "/api/v1/system/node_platforms",
                "{\"slug\":\"p0\",\"name\":\"P0\",\"cosign_identity_regexp\":\"https://ci\\\\.example\\\\.org/.+\","
                        + "\"cosign_oidc_issuer\":\"https://token.example.org\"}");
        assertThat(allowed.status()).as(allowed.body()).isEqualTo(201);
        assertThat(writer.post("/api/v1/system/node_platforms", "{\"slug\":\"p00\",\"name\":\"No policy\"}")
                        .status())
                .as("a write token still creates platforms without a policy")
                .isEqualTo(201);
    }

    @Test
    void identityRegexpsOutsideLinearTimeRe2SyntaxAreRefusedNamingTheField() {
        String issuer = ",\"cosign_oidc_issuer\":\"https://token.example.org\"";
        for (String pattern : new String[] {"(a)\\\\1", "(?=https://).*", "(?<!x)y"}) {
            Api.Response r = admin.post(
                    "/api/v1/system/node_platforms",
                    "{\"slug\":\"re\",\"name\":\"R\",\"cosign_identity_regexp\":\"" + pattern + "\"" + issuer + "}");
            assertThat(r.status()).as(pattern + ": " + r.body()).isEqualTo(422);
            assertThat(r.json().get("errors").get(0).get("field").asString()).isEqualTo("cosign_identity_regexp");
        }
        String id = admin.post("/api/v1/system/node_platforms", "{\"slug\":\"re\",\"name\":\"R\"}")
                .json()
                .get("id")
                .asString();
        Api.Response patched = admin.patch(
                "/api/v1/system/node_platforms/" + id, "{\"cosign_identity_regexp\":\"(?=x)x\"" + issuer + "}");
        assertThat(patched.status()).isEqualTo(422);
        assertThat(patched.json().get("errors").get(0).get("field").asString()).isEqualTo("cosign_identity_regexp");
        // nested quantifiers are harmless under RE2 (linear time), so they stay allowed
        assertThat(admin.patch(
                                "/api/v1/system/node_platforms/" + id,
                                "{\"cosign_identity_regexp\":\"^(a+)+$\"" + issuer + "}")
                        .status())
                .isEqualTo(200);
    }

    @Test
    void rejectsInvalidFieldsNamingEachOne() {
        Api.Response r = admin.post("/api/v1/system/node_platforms", """
                {"slug":"Bad Slug","name":"","disk_image_retention_count":101,
                 "cosign_identity_regexp":"([unclosed","cosign_public_keys":["not a key"],"primary_arch":"sparc"}
                """);
        assertThat(r.status()).isEqualTo(422);
        assertThat(r.isProblem()).isTrue();
        assertThat(r.json().get("errors").findValuesAsString("field"))
                .contains(
                        "slug",
                        "name",
                        "disk_image_retention_count",
                        "cosign_identity_regexp",
                        "cosign_oidc_issuer",
                        "cosign_public_keys[0]",
                        "primary_arch");
        assertThat(jdbc.sql("select count(*) from node_platform")
                        .query(Long.class)
                        .single())
                .isZero();
    }

    @Test
    void rejectsRetentionOutOfRangeOnPatch() {
        String id = writer.post("/api/v1/system/node_platforms", "{\"slug\":\"p2\",\"name\":\"P2\"}")
                .json()
                .get("id")
                .asString();
        for (String bad : new String[] {"0", "101", "null", "\"three\"", "2.5"}) {
            Api.Response r = writer.patch(
                    "/api/v1/system/node_platforms/" + id, "{\"disk_image_retention_count\": " + bad + "}");
            assertThat(r.status()).as(bad).isEqualTo(422);
            assertThat(r.json().get("errors").get(0).get("field").asString()).isEqualTo("disk_image_retention_count");
        }
        Api.Response unknown = writer.patch("/api/v1/system/node_platforms/" + id, "{\"slug\": \"renamed\"}");
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(unknown.json().get("errors").get(0).get("field").asString()).isEqualTo("slug");
    }

    @Test
    void rejectsWrongTypesAndUnknownFieldsOnCreate() {
        Api.Response wrongType = writer.post(
                "/api/v1/system/node_platforms",
                "{\"slug\":\"p3\",\"name\":\"P3\",\"disk_image_retention_count\":\"x\"}");
        assertThat(wrongType.status()).isEqualTo(422);
        assertThat(wrongType.json().get("errors").get(0).get("field").asString())
                .isEqualTo("disk_image_retention_count");

        Api.Response unknown =
                writer.post("/api/v1/system/node_platforms", "{\"slug\":\"p3\",\"name\":\"P3\",\"colour\":1}");
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(unknown.json().get("errors").get(0).get("field").asString()).isEqualTo("colour");
    }

    @Test
    void malformedJsonIsABadRequest() {
        Api.Response r = writer.post("/api/v1/system/node_platforms", "{\"slug\": ");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.isProblem()).isTrue();
        assertThat(r.json().get("code").asString()).isEqualTo("request/malformed-json");
        assertThat(r.body()).doesNotContain("Exception").doesNotContain("at dev.powernode");
    }

    @Test
    void duplicateSlugIsAConflict() {
        assertThat(writer.post("/api/v1/system/node_platforms", "{\"slug\":\"dup\",\"name\":\"A\"}")
                        .status())
                .isEqualTo(201);
        Api.Response again = writer.post("/api/v1/system/node_platforms", "{\"slug\":\"dup\",\"name\":\"B\"}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().get("code").asString()).isEqualTo("node_platform/slug-taken");
    }

    @Test
    void oversizedBodiesAreRefusedWith413() {
        String big = "{\"slug\":\"big\",\"name\":\"" + "x".repeat(70_000) + "\"}";
        Api.Response declared = writer.post("/api/v1/system/node_platforms", big);
        assertThat(declared.status()).isEqualTo(413);
        assertThat(declared.isProblem()).isTrue();

        // no Content-Length: the limit is enforced while the body streams in
        Api.Response chunked = writer.send(writer.request("/api/v1/system/node_platforms")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(big.getBytes()))));
        assertThat(chunked.status()).isEqualTo(413);
        assertThat(jdbc.sql("select count(*) from node_platform")
                        .query(Long.class)
                        .single())
                .isZero();
    }

    @Test
    void unknownPlatformIsNotFound() {
        Api.Response r = reader.get("/api/v1/system/node_platforms/no-such-platform");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().get("code").asString()).isEqualTo("node_platform/not-found");
        assertThat(writer.patch("/api/v1/system/node_platforms/no-such-platform", "{\"name\":\"x\"}")
                        .status())
                .isEqualTo(404);
    }
}
