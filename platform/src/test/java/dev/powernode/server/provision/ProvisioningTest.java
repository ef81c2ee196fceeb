package dev.powernode.server.provision;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Cli;
import dev.powernode.server.support.Cli.Run;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.RegistryFixture;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.w3c.dom.Document;
import tools.jackson.databind.JsonNode;

/**
 * Instances from templates against this service, PostgreSQL and the real registry, on disks made by
 * the build kit's own build_disk (sgdisk, mtools) and qemu-img, published with {@code powernode
 * publish}: the raw disk streams with the node's identity in BOOT, the qcow2 overlay is one QEMU's
 * tools accept, and a blob changed in the registry is never served whole.
 */
@IntegrationTest
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class ProvisioningTest {
    static final RegistryFixture REGISTRY = new RegistryFixture();
    static final Path KIT = Path.of("..", "buildkit").toAbsolutePath().normalize();

    @DynamicPropertySource
    static void registry(DynamicPropertyRegistry props) {
        REGISTRY.register(props);
    }

    @AfterAll
    static void stop() {
        REGISTRY.close();
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @TempDir
    Path dir;

    Api admin;
    Path key;
    Path secret;
    String webhookUrl;
    int buildNo;
    final long salt = new java.security.SecureRandom().nextLong();

    @BeforeEach
    void setUp() throws Exception {
        new Fixtures(jdbc).reset();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        String keys = "[\"" + REGISTRY.publicKeyPem().replace("\n", "\\n") + "\"]";
        assertThat(admin.post(
                                "/api/v1/system/node_platforms",
                                "{\"slug\":\"fleet\",\"name\":\"Fleet\",\"cosign_public_keys\":" + keys + "}")
                        .status())
                .isEqualTo(201);
        JsonNode w = admin.post(
                        "/api/v1/system/disk_image_webhooks",
                        "{\"label\":\"fleet\",\"platform_api_base\":\"http://127.0.0.1:" + port + "\"}")
                .json();
        webhookUrl = w.get("webhook_url").asString();
        secret =
                Files.writeString(dir.resolve("secret"), w.get("webhook_secret").asString());
        key = Files.writeString(dir.resolve("cosign.key"), PemKeys.toPem(REGISTRY.signingKey.getPrivate()));
        Files.writeString(dir.resolve("registry-password"), REGISTRY.registry.password());
    }

    @Test
    void aRawDiskFromATemplateStreamsWithTheNodesIdentityInBootAndNothingElseChanged() throws Exception {
        Api.Response bad = admin.post("/api/v1/system/node_templates", """
                {"name": "-x", "platform": "fleet", "artifact_family": "iso", "arch": "s390x", "vcpus": 0,
                 "image_dir": "relative/dir"}
                """);
        assertThat(bad.status()).as(bad.body()).isEqualTo(422);
        assertThat(bad.body()).contains("name", "artifact_family", "arch", "vcpus", "image_dir");
        Api.Response created = template("metal", "uefi_disk");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(template("metal", "uefi_disk").status()).isEqualTo(409);
        assertThat(admin.get("/api/v1/system/node_templates")
                        .json()
                        .get("data")
                        .get(0)
                        .get("memory_mib")
                        .asInt())
                .isEqualTo(2048);

        Api.Response early = provision("metal", "rack1-n1");
        assertThat(early.status()).as(early.body()).isEqualTo(404);
        assertThat(early.body()).contains("provision/no-current-publication");
        assertThat(nodes()).isZero();

        Path img = disk();
        publish("uefi_disk", img);
        Api.Response asWriter = new Api(port, Api.token(Scope.DISK_IMAGES_WRITE))
                .post("/api/v1/system/node_templates/metal/instances", "{\"name\":\"rack1-n1\"}");
        assertThat(asWriter.status())
                .as("an instance is an enrolment: system:admin")
                .isEqualTo(403);

        Api.Response made = provision("metal", "rack1-n1");
        assertThat(made.status()).as(made.body()).isEqualTo(201);
        JsonNode m = made.json();
        String identity = m.get("identity_cfg").asString();
        String href = m.get("disk_href").asString();
        assertThat(m.get("disk_file").asString()).isEqualTo("rack1-n1.img");
        assertThat(m.get("size_bytes").asLong()).isEqualTo(Files.size(img));
        assertThat(m.get("domain_xml").isNull()).isTrue();

        HttpResponse<byte[]> got = postBytes(href, identity);
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.headers().firstValue("Content-Disposition").orElse("")).contains("rack1-n1.img");
        Path node = Files.write(dir.resolve("rack1-n1.img"), got.body());
        assertThat(mtype(node)).startsWith(identity).contains("token=pnn_");
        byte[] published = Files.readAllBytes(img);
        byte[] personal = got.body();
        assertThat(personal).hasSameSizeAs(published);
        int differ = 0;
        for (int i = 0; i < published.length; i++) {
            differ += published[i] != personal[i] ? 1 : 0;
        }
        assertThat(differ).isPositive().isLessThanOrEqualTo(identity.length());

        // the canonical identity goes into the disk, not the posted variant; a doubled key is refused
        HttpResponse<byte[]> variant = postBytes(href, "# mine\nextra=1\n" + identity);
        assertThat(variant.statusCode()).isEqualTo(200);
        assertThat(mtype(Files.write(dir.resolve("variant.img"), variant.body())))
                .startsWith(identity)
                .doesNotContain("extra=1");
        Api.Response doubled = postText(href, identity + "token=pnn_other\n");
        assertThat(doubled.status()).isEqualTo(422);
        assertThat(doubled.body()).contains("token twice");

        // the identity is the credential: another node's, a changed token, a revoked node
        String other = provision("metal", "rack1-n2").json().get("identity_cfg").asString();
        assertThat(postText(href, other).body()).contains("node/identity-mismatch");
        assertThat(postText(href, identity.replaceAll("token=pnn_.", "token=pnn_x"))
                        .body())
                .contains("node/identity-mismatch");
        assertThat(postText(href.replace("/disk", "/qcow2_overlay"), identity).body())
                .contains("provision/wrong-family");
        String id = m.get("node").get("id").asString();
        assertThat(admin.delete("/api/v1/system/nodes/" + id).status()).isEqualTo(200);
        Api.Response revoked = postText(href, identity);
        assertThat(revoked.status()).isEqualTo(422);
        assertThat(revoked.body()).contains("node/identity-mismatch");
    }

    @Test
    void aQcow2TemplateGivesAnOverlayOnThePublishedBaseThatQemuReadsAsThePersonalDisk() throws Exception {
        Path img = disk();
        Path qcow2 = dir.resolve("powernode-amd64.qcow2");
        run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-c", img.toString(), qcow2.toString());
        publish("qcow2", qcow2);
        assertThat(admin.post("/api/v1/system/node_templates", """
                                {"name": "vm", "platform": "fleet", "artifact_family": "qcow2", "arch": "amd64",
                                 "memory_mib": 1024, "vcpus": 3, "image_dir": "/srv/vm/"}
                                """).status()).isEqualTo(201);
        JsonNode m = provision("vm", "vm-1").json();
        String base = m.get("base_file").asString();
        assertThat(base).matches("powernode-fleet-amd64-[0-9a-f]{12}\\.qcow2");
        assertThat(m.get("disk_file").asString()).isEqualTo("vm-1.qcow2");

        Path host = Files.createDirectories(dir.resolve("hypervisor"));
        HttpResponse<byte[]> b =
                admin.send(admin.request(m.get("base_href").asString()).GET(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(b.statusCode()).isEqualTo(200);
        assertThat(b.body()).isEqualTo(Files.readAllBytes(qcow2));
        Files.write(host.resolve(base), b.body());

        HttpResponse<byte[]> o =
                postBytes(m.get("disk_href").asString(), m.get("identity_cfg").asString());
        assertThat(o.statusCode()).isEqualTo(200);
        assertThat(o.headers().firstValue("Powernode-Backing-File")).hasValue(base);
        assertThat(o.body().length).isLessThan(1 << 20);
        Path overlay = Files.write(host.resolve("vm-1.qcow2"), o.body());
        assertThat(run("qemu-img", "check", overlay.toString())).contains("No errors were found");
        Path flat = host.resolve("flat.img");
        run("qemu-img", "convert", "-O", "raw", overlay.toString(), flat.toString());
        assertThat(mtype(flat)).startsWith(m.get("identity_cfg").asString());

        // only a published, not purged publication's file is served
        jdbc.sql("update disk_image_publication set purged_at = now() where id = :id")
                .param("id", java.util.UUID.fromString(m.get("publication_id").asString()))
                .update();
        Api.Response gone = admin.get(m.get("base_href").asString());
        assertThat(gone.status()).isEqualTo(409);
        assertThat(gone.body()).contains("provision/artifact-gone");

        Document xml = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(new ByteArrayInputStream(m.get("domain_xml").asString().getBytes(StandardCharsets.UTF_8)));
        assertThat(xml.getElementsByTagName("name").item(0).getTextContent()).isEqualTo("vm-1");
        assertThat(xml.getElementsByTagName("memory").item(0).getTextContent()).isEqualTo("1024");
        assertThat(xml.getElementsByTagName("vcpu").item(0).getTextContent()).isEqualTo("3");
        assertThat(m.get("domain_xml").asString())
                .contains("<source file='/srv/vm/vm-1.qcow2'/>", "<source file='/srv/vm/" + base + "'/>");
    }

    @Test
    void aBlobChangedInTheRegistryIsNeverServedWholeAndADiskWithoutASlotEnrolsNobody() throws Exception {
        Path img = disk();
        publish("uefi_disk", img);
        Api.Response created = template("metal", "uefi_disk");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode m = provision("metal", "rack1-n1").json();
        String sha = m.get("sha256").asString();
        Path data;
        try (Stream<Path> s = Files.walk(REGISTRY.registry.storageDir())) {
            data = s.filter(p -> p.endsWith(Path.of(sha.substring(0, 2), sha, "data")))
                    .findFirst()
                    .orElseThrow();
        }
        byte[] blob = Files.readAllBytes(data);
        blob[blob.length - 1000] ^= 1; // far from the slot: only the whole file's hash can tell
        Files.write(data, blob);
        long received;
        try {
            received = postBytes(
                            m.get("disk_href").asString(), m.get("identity_cfg").asString())
                    .body()
                    .length;
        } catch (java.io.UncheckedIOException e) {
            received = -1; // the connection closed short of Content-Length
        }
        assertThat(received).as("never the whole disk").isLessThan(blob.length);

        // a disk the kit did not build (no identity slot): nobody is enrolled for it
        Path junk = dir.resolve("junk/powernode-amd64.img");
        Files.createDirectories(junk.getParent());
        byte[] random = new byte[300_000];
        new java.util.Random(salt).nextBytes(random);
        Files.write(junk, random);
        publish("uefi_disk", junk);
        long before = nodes();
        Api.Response refused = provision("metal", "rack1-n9");
        assertThat(refused.status()).as(refused.body()).isEqualTo(409);
        assertThat(refused.body()).contains("provision/not-provisionable", "no GPT header");
        assertThat(nodes()).isEqualTo(before);
    }

    @Test
    void theCliProvisionsIntoAFolderAndFetchesADiskAgainWithTheIdentity() throws Exception {
        Path img = disk();
        publish("uefi_disk", img);
        Path qcow2 = dir.resolve("powernode-amd64.qcow2");
        run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", "-c", img.toString(), qcow2.toString());
        publish("qcow2", qcow2);
        String api = "http://127.0.0.1:" + port;
        String token = Api.token(Scope.SYSTEM_ADMIN);
        Run made = cli("templates", "create", "metal", "--platform", "fleet", "--api-url", api, "--token", token);
        assertThat(made.exit()).as(made.out() + made.err()).isZero();
        assertThat(cli(
                                "templates",
                                "create",
                                "vm",
                                "--platform",
                                "fleet",
                                "--family",
                                "qcow2",
                                "--api-url",
                                api,
                                "--token",
                                token)
                        .exit())
                .isZero();
        assertThat(cli("templates", "list", "--api-url", api, "--token", token).out())
                .contains("metal", "vm");

        Path out = Files.createDirectories(dir.resolve("out"));
        Run p = cli(
                "templates", "provision", "metal", "n1", "--out", out.toString(), "--api-url", api, "--token", token);
        assertThat(p.exit()).as(p.out() + p.err()).isZero();
        assertThat(p.out()).doesNotContain("pnn_").contains("n1.img");
        Path cfg = out.resolve("n1.identity.cfg");
        assertThat(Files.getPosixFilePermissions(cfg))
                .containsExactlyInAnyOrder(
                        java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                        java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        assertThat(mtype(out.resolve("n1.img")))
                .startsWith(Files.readString(cfg).strip());
        assertThat(out.resolve("n1.img.part")).doesNotExist();

        Run again = cli(
                "templates", "provision", "metal", "n1", "--out", out.toString(), "--api-url", api, "--token", token);
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("will not overwrite");

        String id = jdbc.sql("select id::text from node where name = 'n1'")
                .query(String.class)
                .single();
        Path out2 = Files.createDirectories(dir.resolve("out2"));
        Run d = cli(
                "nodes",
                "disk",
                id,
                "--identity",
                cfg.toString(),
                "--out",
                out2.toString(),
                "--api-url",
                api,
                "--token",
                token);
        assertThat(d.exit()).as(d.out() + d.err()).isZero();
        assertThat(Files.readAllBytes(out2.resolve("n1.img"))).isEqualTo(Files.readAllBytes(out.resolve("n1.img")));

        Run v = cli("templates", "provision", "vm", "v1", "--out", out.toString(), "--api-url", api, "--token", token);
        assertThat(v.exit()).as(v.out() + v.err()).isZero();
        assertThat(run("qemu-img", "check", out.resolve("v1.qcow2").toString())).contains("No errors were found");
        assertThat(Files.readString(out.resolve("v1.xml"))).contains("<name>v1</name>");
        Path flat = out.resolve("v1-flat.img");
        run("qemu-img", "convert", "-O", "raw", out.resolve("v1.qcow2").toString(), flat.toString());
        assertThat(mtype(flat))
                .startsWith(Files.readString(out.resolve("v1.identity.cfg")).strip());

        Run missing = cli(
                "templates", "provision", "nope", "n2", "--out", out.toString(), "--api-url", api, "--token", token);
        assertThat(missing.exit()).isNotZero();
        assertThat(missing.err()).contains("template/not-found");
    }

    // --- helpers -------------------------------------------------------------------------------------

    Api.Response template(String name, String family) {
        return admin.post(
                "/api/v1/system/node_templates",
                "{\"name\":\"%s\",\"platform\":\"fleet\",\"artifact_family\":\"%s\",\"arch\":\"amd64\"}"
                        .formatted(name, family));
    }

    Api.Response provision(String template, String node) {
        return admin.post("/api/v1/system/node_templates/" + template + "/instances", "{\"name\":\"" + node + "\"}");
    }

    long nodes() {
        return jdbc.sql("select count(*) from node").query(Long.class).single();
    }

    HttpResponse<byte[]> postBytes(String path, String body) {
        return admin.send(
                admin.request(path)
                        .header("Content-Type", "text/plain")
                        .POST(HttpRequest.BodyPublishers.ofString(body)),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    Api.Response postText(String path, String body) {
        return admin.send(admin.request(path)
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** A raw disk as the kit builds it, different in every build (its "UKI" carries the build). */
    Path disk() throws Exception {
        buildNo++;
        Path out = Files.createDirectories(dir.resolve("build" + buildNo));
        Files.writeString(out.resolve("uki.efi"), "MZ build " + salt + "/" + buildNo);
        run(
                "bash",
                "-c",
                "set -e; source \"$KIT/lib/common.sh\"; source \"$KIT/lib/disk.sh\"; WORK_DIR=\"$OUT/work\";"
                        + " mkdir -p \"$WORK_DIR\"; BUILD_EPOCH=1700000000;"
                        + " build_disk \"$OUT/powernode-amd64.img\" \"$OUT/uki.efi\" BOOTX64.EFI 64 8",
                "OUT=" + out);
        return out.resolve("powernode-amd64.img");
    }

    void publish(String family, Path file) {
        buildNo++;
        Run r = cli(
                "publish",
                "--platform",
                "fleet",
                "--family",
                family,
                "--arch",
                "amd64",
                "--registry",
                REGISTRY.registry.registry() + "/fleet-images",
                "--plain-http",
                "--registry-username",
                REGISTRY.registry.username(),
                "--registry-password-file",
                dir.resolve("registry-password").toString(),
                "--sign-key",
                key.toString(),
                "--webhook-url",
                webhookUrl,
                "--webhook-secret-file",
                secret.toString(),
                "--git-sha",
                "%040x".formatted(buildNo),
                "--build-time",
                Long.toString(RegistryFixture.buildTime(buildNo).getEpochSecond()),
                "--wait",
                "--wait-timeout",
                "60s",
                "--api-url",
                "http://127.0.0.1:" + port,
                "--token",
                Api.token(Scope.DISK_IMAGES_READ),
                file.toString());
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
    }

    String mtype(Path disk) throws Exception {
        return run("bash", "-c", "MTOOLS_SKIP_CHECK=1 mtype -i \"$DISK@@1048576\" ::/identity.cfg", "DISK=" + disk);
    }

    /** Runs {@code cmd}; trailing NAME=value arguments after a "bash -c" script are its environment. */
    String run(String... cmd) throws Exception {
        List<String> c = new ArrayList<>();
        ProcessBuilder pb = new ProcessBuilder().redirectErrorStream(true);
        pb.environment().put("KIT", KIT.toString());
        for (String a : cmd) {
            int eq = a.indexOf('=');
            if (!c.isEmpty() && c.get(0).equals("bash") && c.size() >= 3 && eq > 0) {
                pb.environment().put(a.substring(0, eq), a.substring(eq + 1));
            } else {
                c.add(a);
            }
        }
        Process p = pb.command(c).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + "\n" + out).isZero();
        return out;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static Run cli(String... args) {
        return Cli.runOnSystemStreams(args);
    }
}
