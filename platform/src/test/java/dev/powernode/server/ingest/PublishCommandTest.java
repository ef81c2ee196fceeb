package dev.powernode.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Cli;
import dev.powernode.server.support.Cli.Run;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.RegistryFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
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
import tools.jackson.databind.JsonNode;

/**
 * The runner side end to end: {@code powernode publish} pushes to the real registry, signs with a
 * cosign key pair, announces through the HMAC webhook, and waits for this service's verdict.
 */
@IntegrationTest
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class PublishCommandTest {
    static final RegistryFixture REGISTRY = new RegistryFixture();

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

    @BeforeEach
    void setUp() throws Exception {
        new Fixtures(jdbc).reset();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        assertThat(admin.post(
                                "/api/v1/system/node_platforms",
                                "{\"slug\":\"cli\",\"name\":\"CLI\",\"cosign_public_keys\":[\""
                                        + REGISTRY.publicKeyPem().replace("\n", "\\n") + "\"]}")
                        .status())
                .isEqualTo(201);
        JsonNode w = admin.post(
                        "/api/v1/system/disk_image_webhooks",
                        "{\"label\":\"cli\",\"platform_api_base\":\"http://127.0.0.1:" + port + "\"}")
                .json();
        webhookUrl = w.get("webhook_url").asString();
        secret =
                Files.writeString(dir.resolve("secret"), w.get("webhook_secret").asString());
        key = Files.writeString(dir.resolve("cosign.key"), PemKeys.toPem(REGISTRY.signingKey.getPrivate()));
    }

    Run publish(String... extra) throws Exception {
        byte[] disk = new byte[300_000];
        new Random(extra.length).nextBytes(disk);
        Path img = Files.write(dir.resolve("disk.img"), disk);
        Path cmdline = Files.writeString(dir.resolve("cmdline"), "console=ttyS0\n");
        String[] base = {
            "publish",
            "--platform",
            "cli",
            "--family",
            "uefi_disk",
            "--arch",
            "amd64",
            "--registry",
            REGISTRY.registry.registry() + "/cli-images",
            "--plain-http",
            "--registry-username",
            REGISTRY.registry.username(),
            "--sign-key",
            key.toString(),
            "--webhook-url",
            webhookUrl,
            "--webhook-secret-file",
            secret.toString(),
            "--git-sha",
            "0123456789abcdef0123456789abcdef01234567",
            "--wait",
            "--wait-timeout",
            "60s",
            "--api-url",
            "http://127.0.0.1:" + port,
            "--token",
            Api.token(Scope.DISK_IMAGES_READ)
        };
        String[] args = new String[base.length + extra.length + 2];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        args[args.length - 2] = img.toString();
        args[args.length - 1] = cmdline.toString();
        return run(args);
    }

    @Test
    void publishPushesSignsAnnouncesAndWaitsUntilPublished() throws Exception {
        Run r = publishWithPassword();

        assertThat(r.exit()).as(r.err()).isZero();
        // stdout also carries this in-process service's log lines; the CLI's own output is the id
        String id = r.out()
                .lines()
                .map(String::strip)
                .filter(l -> l.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"))
                .findFirst()
                .orElseThrow();
        assertThat(r.err()).contains("pushed ", "signed ", "announced", "published and current");
        JsonNode p = admin.get("/api/v1/system/disk_image_publications/" + id).json();
        assertThat(p.get("status").asString()).isEqualTo("published");
        assertThat(p.get("active").asBoolean()).isTrue();
        assertThat(p.get("size_bytes").asLong()).isEqualTo(300_000);
    }

    @Test
    void aWrongWebhookSecretIsAClearFailure() throws Exception {
        Files.writeString(secret, "not-the-secret");
        Run r = publishWithPassword();
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("webhook refused (HTTP 401)").doesNotContain("Exception");
    }

    @Test
    void aKeyThePlatformDoesNotTrustEndsInFailedAndExitsNonZero() throws Exception {
        Files.writeString(key, PemKeys.toPem(RegistryFixture.newKey().getPrivate()));
        Run r = publishWithPassword();
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("publication failed").contains("does not verify");
    }

    @Test
    void aBuildDirectoryPublishesEachFamilyItsManifestListsAndWaitsForAll() throws Exception {
        Path build = Files.createDirectories(dir.resolve("out"));
        StringBuilder outputs = new StringBuilder();
        String[][] files = {
            {"kernel", "kernel-initrd"},
            {"initramfs.cpio.zst", "kernel-initrd"},
            {"powernode-amd64.efi", "uki"},
            {"powernode-amd64.img", "disk-image-uefi"}
        };
        for (String[] f : files) {
            byte[] content = new byte[10_000 + outputs.length()];
            new Random(f[0].hashCode()).nextBytes(content);
            Files.write(build.resolve(f[0]), content);
            outputs.append(outputs.isEmpty() ? "" : ",")
                    .append("{\"name\":\"%s\",\"sha256\":\"%s\",\"size\":%d,\"family\":\"%s\"}"
                            .formatted(f[0], sha256(content), content.length, f[1]));
        }
        Files.writeString(
                build.resolve("manifest.json"),
                ("{\"build_id\":\"test-1\",\"arch\":\"amd64\",\"git_sha\":\"%s\",\"source_date_epoch\":1795915800,"
                                + "\"firmware_ref\":\"%s\",\"outputs\":[%s]}")
                        .formatted("89abcdef0123456789abcdef0123456789abcdef", FIRMWARE, outputs));
        Path password = Files.writeString(dir.resolve("registry-password"), REGISTRY.registry.password());
        String workerId = admin.post("/api/v1/workers", "{\"label\":\"cli\"}")
                .json()
                .get("worker_id")
                .asString();

        Run r = run(
                "publish",
                "--platform",
                "cli",
                "--build-dir",
                build.toString(),
                "--registry",
                REGISTRY.registry.registry() + "/cli-images",
                "--plain-http",
                "--registry-username",
                REGISTRY.registry.username(),
                "--registry-password-file",
                password.toString(),
                "--sign-key",
                key.toString(),
                "--webhook-url",
                webhookUrl,
                "--webhook-secret-file",
                secret.toString(),
                "--worker-id",
                workerId,
                "--wait",
                "--wait-timeout",
                "60s",
                "--api-url",
                "http://127.0.0.1:" + port,
                "--token",
                Api.token(Scope.DISK_IMAGES_READ));

        assertThat(r.exit()).as(r.err()).isZero();
        // stdout: FAMILY ID per publication (plus this in-process service's log lines)
        var ids = r.out()
                .lines()
                .map(String::strip)
                .filter(l -> l.matches("[a-z_]+ [0-9a-f-]{36}"))
                .map(l -> l.split(" "))
                .toList();
        assertThat(ids).extracting(a -> a[0]).containsExactly("uefi_disk", "kernel_initramfs");
        for (String[] line : ids) {
            JsonNode p = admin.get("/api/v1/system/disk_image_publications/" + line[1])
                    .json();
            assertThat(p.get("artifact_family").asString()).isEqualTo(line[0]);
            assertThat(p.get("status").asString()).isEqualTo("published");
            assertThat(p.get("active").asBoolean()).isTrue();
            assertThat(p.get("git_sha").asString()).isEqualTo("89abcdef0123456789abcdef0123456789abcdef");
            assertThat(p.get("triggered_by_worker_id").asString()).isEqualTo(workerId);
            // the UKI's stub is what the UEFI families boot through; kernel + initramfs boot without it
            assertThat(p.get("firmware_ref").isNull()).isEqualTo(line[0].equals("kernel_initramfs"));
            if (line[0].equals("uefi_disk")) {
                assertThat(p.get("firmware_ref").asString()).isEqualTo(FIRMWARE);
            }
            assertThat(REGISTRY.client
                            .getManifest(OciRef.parse(p.get("oci_ref").asString()))
                            .annotations())
                    .as("the signed manifest carries the build time the platform orders builds by")
                    .containsEntry("org.opencontainers.image.created", "2026-11-29T01:30:00Z");
        }
        assertThat(r.err()).contains("==> uefi_disk (amd64)", "uefi_disk publication", "published and current");
    }

    static final String FIRMWARE = "systemd-boot-efi/257.9-1/linuxx64.efi.stub@sha256:" + "ab".repeat(32);

    @Test
    void publishingTheSameBuildAgainCreatesNothingNew() throws Exception {
        Run first = publishWithPassword("--build-time", "2026-11-29T01:30:00Z");
        assertThat(first.exit()).as(first.err()).isZero();

        Run again = publishWithPassword("--build-time", "2026-11-29T01:30:00Z");

        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.err()).contains("already announced: publication");
        assertThat(jdbc.sql("select count(*) from disk_image_publication")
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
    }

    static String sha256(byte[] content) throws Exception {
        return java.util.HexFormat.of()
                .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(content));
    }

    Run publishWithPassword(String... extra) throws Exception {
        Path password = Files.writeString(dir.resolve("registry-password"), REGISTRY.registry.password());
        String[] args = new String[extra.length + 2];
        args[0] = "--registry-password-file";
        args[1] = password.toString();
        System.arraycopy(extra, 0, args, 2, extra.length);
        return publish(args);
    }

    static Run run(String... args) {
        return Cli.runOnSystemStreams(args);
    }
}
