package dev.powernode.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Cli;
import dev.powernode.server.support.Cli.Run;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import dev.powernode.server.support.RegistryFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
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
 * The node agent ({@code powernode agent}) against this service, PostgreSQL and the real registry:
 * publications made by {@code powernode publish}, signed with cosign key pairs. The node is a set
 * of directories (persist, ESP, /run); the test plays systemd-boot (it boots the newest entry with
 * tries left and counts it down, as src/boot/boot.c does) and the reboot. The same loop runs under
 * QEMU with the real boot loader in the slow suite.
 */
@IntegrationTest
@DirtiesContext(classMode = DirtiesContext.ClassMode.AFTER_CLASS)
class NodeAgentTest {
    static final RegistryFixture REGISTRY = new RegistryFixture();
    static final KeyPair OTHER_SIGNER = RegistryFixture.newKey();
    static final Pattern ENTRY = Pattern.compile("powernode-(\\d+)(?:\\+(\\d+)(?:-(\\d+))?)?\\.conf");

    @DynamicPropertySource
    static void registry(DynamicPropertyRegistry props) {
        REGISTRY.register(props);
    }

    @AfterAll
    static void stop() {
        REGISTRY.close();
    }

    /** One build of the node image: its files and the composefs digest they boot. */
    record Build(Path dir, String image, Map<String, byte[]> objects) {
        List<String> files() {
            return List.of(
                    dir.resolve("powernode-amd64.img").toString(),
                    dir.resolve("powernode-amd64.efi").toString(),
                    dir.resolve("powernode-amd64.composefs.erofs").toString(),
                    dir.resolve("powernode-amd64.composefs-objects.tar").toString());
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @TempDir
    Path dir;

    Api admin;
    Path key;
    Path otherKey;
    Path secret;
    String webhookUrl;
    Path persist;
    Path esp;
    Path run;
    Path health;
    Path config;
    String nodeId;
    int buildNo;
    /** Builds differ between tests too: the registry (and signatures attached to a digest) outlive a test. */
    final long salt = new java.security.SecureRandom().nextLong();

    @BeforeEach
    void setUp() throws Exception {
        new Fixtures(jdbc).reset();
        admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        String keys = "[\"" + REGISTRY.publicKeyPem().replace("\n", "\\n") + "\",\""
                + PemKeys.toPem(OTHER_SIGNER.getPublic()).replace("\n", "\\n") + "\"]";
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
        otherKey = Files.writeString(dir.resolve("other.key"), PemKeys.toPem(OTHER_SIGNER.getPrivate()));

        Api.Response enrolled = admin.post("/api/v1/system/nodes", """
                {"platform": "fleet", "name": "rack1-n1", "artifact_family": "uefi_disk", "arch": "amd64"}
                """);
        assertThat(enrolled.status()).as(enrolled.body()).isEqualTo(201);
        nodeId = enrolled.json().get("node").get("id").asString();

        persist = Files.createDirectories(dir.resolve("node/persist"));
        esp = Files.createDirectories(dir.resolve("node/esp"));
        run = Files.createDirectories(dir.resolve("node/run"));
        health = Files.createDirectories(dir.resolve("node/health.d"));
        Files.writeString(
                run.resolve("identity"), enrolled.json().get("identity_cfg").asString());
        Files.writeString(run.resolve("uptime"), "42.5 40.0\n");
        Files.writeString(dir.resolve("registry-password"), REGISTRY.registry.password());
        healthCheck(true);
        config = writeConfig(3);
    }

    Path writeConfig(int tries) throws Exception {
        String host = REGISTRY.registry.registry();
        return Files.writeString(dir.resolve("agent.json"), """
                {
                  "signers": {"keys": ["%s"], "require_tlog": false},
                  "boot_tries": %d,
                  "platform_url": "http://127.0.0.1:%d",
                  "reboot": "manual",
                  "reboot_command": ["true"],
                  "fs_verity": false,
                  "plain_http_registries": ["%s"],
                  "registry_credentials": {"%s": {"username": "%s", "password_file": "%s"}}
                }
                """.formatted(
                        REGISTRY.publicKeyPem().replace("\n", "\\n"),
                        tries,
                        port,
                        host,
                        host,
                        REGISTRY.registry.username(),
                        dir.resolve("registry-password")));
    }

    void healthCheck(boolean passes) throws Exception {
        Path check = health.resolve("10-app");
        Files.writeString(check, passes ? "#!/bin/sh\nexit 0\n" : "#!/bin/sh\necho app did not answer\nexit 1\n");
        Files.setPosixFilePermissions(check, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    // --- building and publishing -------------------------------------------------------------------

    /** A build whose objects are {@code shared} plus {@code fresh} new ones. */
    Build build(Map<String, byte[]> shared, int fresh) throws Exception {
        buildNo++;
        Path out = Files.createDirectories(dir.resolve("build" + buildNo));
        Random random = new Random(salt + buildNo);
        Map<String, byte[]> objects = new java.util.TreeMap<>(shared);
        for (int i = 0; i < fresh; i++) {
            byte[] content = new byte[1000 + random.nextInt(200_000)];
            random.nextBytes(content);
            objects.put(hex(sha256(content)), content);
        }
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(
                Files.newOutputStream(out.resolve("powernode-amd64.composefs-objects.tar")))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_GNU);
            tar.putArchiveEntry(new TarArchiveEntry("./"));
            tar.closeArchiveEntry();
            for (var o : objects.entrySet()) {
                TarArchiveEntry e = new TarArchiveEntry(
                        "./" + o.getKey().substring(0, 2) + "/" + o.getKey().substring(2));
                e.setSize(o.getValue().length);
                tar.putArchiveEntry(e);
                tar.write(o.getValue());
                tar.closeArchiveEntry();
            }
        }
        byte[] erofs =
                ("composefs image " + salt + "/" + buildNo + " " + objects.keySet()).getBytes(StandardCharsets.UTF_8);
        Files.write(out.resolve("powernode-amd64.composefs.erofs"), erofs);
        Files.writeString(out.resolve("powernode-amd64.efi"), "MZ uki of build " + salt + "/" + buildNo);
        byte[] disk = new byte[50_000];
        random.nextBytes(disk);
        Files.write(out.resolve("powernode-amd64.img"), disk);
        return new Build(out, hex(sha256(erofs)), objects);
    }

    Run publish(Build b, Path signingKey) {
        List<String> args = new ArrayList<>(List.of(
                "publish",
                "--platform",
                "fleet",
                "--family",
                "uefi_disk",
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
                signingKey.toString(),
                "--webhook-url",
                webhookUrl,
                "--webhook-secret-file",
                secret.toString(),
                "--git-sha",
                "%040x".formatted(buildNo),
                // builds are promoted in build order: each one newer than the last
                "--build-time",
                Long.toString(RegistryFixture.buildTime(buildNo).getEpochSecond()),
                "--wait",
                "--wait-timeout",
                "60s",
                "--api-url",
                "http://127.0.0.1:" + port,
                "--token",
                Api.token(Scope.DISK_IMAGES_READ)));
        args.addAll(b.files());
        Run r = cli(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.all()).isZero();
        return r;
    }

    /** The node as the build made it: persist holds the image, the ESP one blessed entry. */
    void flash(Build b) throws Exception {
        Path images = Files.createDirectories(persist.resolve("powernode/images"));
        Files.copy(b.dir().resolve("powernode-amd64.composefs.erofs"), images.resolve(b.image() + ".cfs"));
        for (var o : b.objects().entrySet()) {
            Path p = persist.resolve("powernode/objects/" + o.getKey().substring(0, 2) + "/"
                    + o.getKey().substring(2));
            Files.createDirectories(p.getParent());
            Files.write(p, o.getValue());
        }
        Files.createDirectories(esp.resolve("EFI/powernode"));
        Files.createDirectories(esp.resolve("loader/entries"));
        Files.copy(b.dir().resolve("powernode-amd64.efi"), esp.resolve("EFI/powernode/" + b.image() + ".efi"));
        Files.writeString(
                esp.resolve("loader/entries/powernode-1.conf"),
                "title Powernode\nsort-key powernode\nversion 1\nefi /EFI/powernode/" + b.image() + ".efi\n");
        boot();
    }

    /**
     * systemd-boot: the entry with the highest version among those with tries left (bad ones last),
     * its counter bumped before it boots; then the initramfs writes the booted image.
     */
    String boot() throws Exception {
        List<Path> entries;
        try (Stream<Path> s = Files.list(esp.resolve("loader/entries"))) {
            entries = s.filter(p -> ENTRY.matcher(p.getFileName().toString()).matches())
                    .sorted(Comparator.comparing((Path p) -> bad(p)).thenComparing(p -> -version(p)))
                    .toList();
        }
        Path chosen = entries.get(0);
        Matcher m = ENTRY.matcher(chosen.getFileName().toString());
        assertThat(m.matches()).isTrue();
        if (m.group(2) != null) {
            int left = Integer.parseInt(m.group(2));
            int done = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
            String bumped = "powernode-" + m.group(1) + "+" + Math.max(0, left - 1) + "-" + (done + 1) + ".conf";
            chosen = Files.move(chosen, chosen.resolveSibling(bumped));
        }
        Matcher efi = Pattern.compile("efi /EFI/powernode/([0-9a-f]{64})\\.efi").matcher(Files.readString(chosen));
        assertThat(efi.find()).isTrue();
        String image = efi.group(1);
        assertThat(persist.resolve("powernode/images/" + image + ".cfs"))
                .as("the initramfs finds the image the entry names")
                .exists();
        Files.writeString(run.resolve("image"), "sha256:" + image + "\n");
        Files.writeString(run.resolve("boot_id"), UUID.randomUUID() + "\n");
        return image;
    }

    static boolean bad(Path entry) {
        Matcher m = ENTRY.matcher(entry.getFileName().toString());
        return m.matches() && m.group(2) != null && Integer.parseInt(m.group(2)) == 0;
    }

    static int version(Path entry) {
        Matcher m = ENTRY.matcher(entry.getFileName().toString());
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }

    Run agent(String... extra) {
        List<String> args = new ArrayList<>(List.of(
                "agent",
                extra[0],
                "--config",
                config.toString(),
                "--persist",
                persist.toString(),
                "--esp",
                esp.toString(),
                "--identity",
                run.resolve("identity").toString(),
                "--booted-image",
                run.resolve("image").toString(),
                "--boot-id",
                run.resolve("boot_id").toString(),
                "--uptime",
                run.resolve("uptime").toString(),
                "--health-dir",
                health.toString()));
        args.addAll(List.of(extra).subList(1, extra.length));
        return cli(args.toArray(String[]::new));
    }

    List<String> entries() throws Exception {
        try (Stream<Path> s = Files.list(esp.resolve("loader/entries"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    List<String> reports() {
        return jdbc.sql("""
                        select r.result || ' ' || p.git_sha from node_report r
                        join disk_image_publication p on p.id = r.publication_id
                        where r.node_id = :n and r.refusal_code is null order by r.received_at, r.report_id
                        """)
                .param("n", UUID.fromString(nodeId))
                .query(String.class)
                .list();
    }

    String currentGitSha() {
        return jdbc.sql("""
                        select git_sha from disk_image_publication
                        where artifact_family = 'uefi_disk' and arch = 'amd64' and active
                        """).query(String.class).single();
    }

    static String sha(int build) {
        return "%040x".formatted(build);
    }

    // --- the loop ------------------------------------------------------------------------------------

    @Test
    void keepsTheNodeOnTheCurrentImageBlessesHealthyBootsAndFallsBackFromAFailingOne() throws Exception {
        Build v1 = build(Map.of(), 3);
        publish(v1, key);
        flash(v1);

        Run first = agent("run", "--once");
        assertThat(first.exit()).as(first.all()).isZero();
        assertThat(first.all()).contains("once: current").contains("reported healthy");
        assertThat(reports()).containsExactly("healthy " + sha(1));

        // v2 shares two objects with v1 and brings one of its own
        Map<String, byte[]> shared = new java.util.TreeMap<>();
        v1.objects().entrySet().stream().limit(2).forEach(e -> shared.put(e.getKey(), e.getValue()));
        Build v2 = build(shared, 1);
        publish(v2, key);
        Run staged = agent("run", "--once");
        assertThat(staged.exit()).as(staged.all()).isZero();
        assertThat(staged.all())
                .contains("once: staged")
                .contains("1 new objects")
                .contains("2 already here");
        assertThat(entries()).containsExactly("powernode-1.conf", "powernode-2+3.conf");
        assertThat(esp.resolve("EFI/powernode/" + v2.image() + ".efi"))
                .hasSameBinaryContentAs(v2.dir().resolve("powernode-amd64.efi"));
        assertThat(persist.resolve("powernode/images/" + v2.image() + ".cfs")).exists();
        assertThat(persist.resolve("powernode/agent/downloads")).isEmptyDirectory();
        for (var o : v2.objects().entrySet()) {
            assertThat(persist.resolve("powernode/objects/" + o.getKey().substring(0, 2) + "/"
                            + o.getKey().substring(2)))
                    .hasBinaryContent(o.getValue());
        }
        assertThat(agent("run", "--once").all())
                .as("staged once, not again")
                .contains("once: staged")
                .doesNotContain("new objects");

        assertThat(boot()).isEqualTo(v2.image());
        Run blessed = agent("run", "--once");
        assertThat(blessed.all())
                .contains("passed 1 health check(s) on trial boot 1")
                .contains("once: current");
        assertThat(entries()).containsExactly("powernode-1.conf", "powernode-2.conf");
        assertThat(reports()).containsExactly("healthy " + sha(1), "healthy " + sha(2));
        JsonNode convergence = admin.get("/api/v1/system/node_platforms/fleet/convergence")
                .json()
                .get("data")
                .get(0);
        assertThat(convergence.get("on_current").asLong()).isEqualTo(1);

        // v3 fails its health check; one try, then systemd-boot falls back to v2
        assertThat(admin.put("/api/v1/system/node_platforms/fleet/auto_rollback", "{\"failures\":1,\"window\":5}")
                        .status())
                .isEqualTo(200);
        config = writeConfig(1);
        Build v3 = build(shared, 1);
        publish(v3, key);
        assertThat(agent("run", "--once").all()).contains("once: staged");
        assertThat(entries())
                .as("the ESP keeps the booted image and the new one")
                .containsExactly("powernode-2.conf", "powernode-3+1.conf");
        assertThat(esp.resolve("EFI/powernode/" + v1.image() + ".efi")).doesNotExist();
        assertThat(persist.resolve("powernode/images/" + v1.image() + ".cfs")).doesNotExist();
        assertThat(boot()).isEqualTo(v3.image());
        healthCheck(false);
        Run failed = agent("run", "--once");
        assertThat(failed.all())
                .contains("FAILED its health checks on trial boot 1")
                .contains("10-app: exit 1 (app did not answer)")
                .contains("no tries left: the next boot falls back");
        assertThat(reports()).endsWith("failed " + sha(3));
        assertThat(currentGitSha())
                .as("auto-rollback: 1 failure of the first 5")
                .isEqualTo(sha(2));

        healthCheck(true);
        assertThat(boot()).as("out of tries: the previous image boots").isEqualTo(v2.image());
        Run back = agent("run", "--once");
        assertThat(back.all())
                .contains("fell back to " + v2.image().substring(0, 12))
                .contains("once: current");
        assertThat(reports()).endsWith("fell_back " + sha(3), "healthy " + sha(2));
        assertThat(entries()).as("the failed entry is pruned").containsExactly("powernode-2.conf");

        // an operator promotes v3 again: a fresh try (the platform's pointer moved away and back)
        String v3Id = jdbc.sql("select id::text from disk_image_publication where git_sha = :s")
                .param("s", sha(3))
                .query(String.class)
                .single();
        Api.Response promoted = admin.post(
                "/api/v1/system/node_platforms/fleet/default_disk_image_publication",
                "{\"publication_id\":\"" + v3Id + "\"}");
        assertThat(promoted.status()).as(promoted.body()).isLessThan(300);
        assertThat(agent("run", "--once").all()).contains("once: staged");
        assertThat(entries()).containsExactly("powernode-2.conf", "powernode-3+1.conf");
        healthCheck(false);
        assertThat(boot()).isEqualTo(v3.image());
        assertThat(agent("run", "--once").all()).contains("FAILED its health checks");
        assertThat(currentGitSha()).as("the policy trips once per publication").isEqualTo(sha(3));
        healthCheck(true);
        assertThat(boot()).isEqualTo(v2.image());
        assertThat(agent("run", "--once").all()).contains("fell back to");

        // the pointer stays on v3: the node does not retry what failed here until the pointer moves
        Run declined = agent("run", "--once");
        assertThat(declined.exit()).isZero();
        assertThat(declined.all()).contains("failed its trial on this node").contains("once: declined");
        assertThat(entries()).containsExactly("powernode-2.conf");
    }

    @Test
    void goesBackToThePreviousImageWithoutFetchingItAgainWhenThePlatformRollsBack() throws Exception {
        Build v1 = build(Map.of(), 2);
        publish(v1, key);
        flash(v1);
        agent("run", "--once");
        Build v2 = build(Map.of(), 1);
        publish(v2, key);
        agent("run", "--once");
        boot();
        assertThat(agent("run", "--once").all()).contains("once: current");
        assertThat(entries()).containsExactly("powernode-1.conf", "powernode-2.conf");

        String v1Id = jdbc.sql("select id::text from disk_image_publication where git_sha = :s")
                .param("s", sha(1))
                .query(String.class)
                .single();
        Api.Response back = admin.post(
                "/api/v1/system/node_platforms/fleet/default_disk_image_publication",
                "{\"publication_id\":\"" + v1Id + "\"}");
        assertThat(back.status()).as(back.body()).isLessThan(300);
        Run staged = agent("run", "--once");

        assertThat(staged.all()).contains("once: staged").contains("0 new objects (0 MiB), 0 already here");
        assertThat(entries())
                .as("a new, counted entry for the previous image, above the booted one")
                .containsExactly("powernode-2.conf", "powernode-3+3.conf");
        assertThat(boot()).isEqualTo(v1.image());
        assertThat(agent("run", "--once").all()).contains("passed 1 health check(s) on trial boot 1");
        assertThat(reports()).endsWith("healthy " + sha(1));
    }

    @Test
    void aFallbackReportThePlatformMissedIsSentAfterARestart() throws Exception {
        config = writeConfig(1);
        Build v1 = build(Map.of(), 2);
        publish(v1, key);
        flash(v1);
        agent("run", "--once");
        Build v2 = build(Map.of(), 1);
        publish(v2, key);
        agent("run", "--once");
        boot();
        healthCheck(false);
        assertThat(agent("run", "--once").all()).contains("FAILED its health checks");
        healthCheck(true);
        assertThat(boot()).isEqualTo(v1.image());
        String good = Files.readString(config);
        Files.writeString(config, good.replace("http://127.0.0.1:" + port, "http://127.0.0.1:9"));

        Run offline = agent("run", "--once");
        assertThat(offline.exit()).isEqualTo(1);
        assertThat(offline.all()).contains("fell back to").contains("report fell_back for publication");
        assertThat(entries()).as("the failed entry is gone from the ESP").containsExactly("powernode-1.conf");

        Files.writeString(config, good);
        Run online = agent("run", "--once");
        assertThat(online.all()).contains("reported fell_back for publication");
        assertThat(reports()).endsWith("failed " + sha(2), "fell_back " + sha(2), "healthy " + sha(1));
    }

    @Test
    void refusesAnImageItsBakedPolicyDoesNotTrustEvenWhenThePlatformAcceptedIt() throws Exception {
        Build v1 = build(Map.of(), 2);
        publish(v1, key);
        flash(v1);
        assertThat(agent("run", "--once").exit()).isZero();

        Build rogue = build(Map.of(), 1);
        publish(rogue, otherKey); // the platform trusts this key; the node's image does not
        Run r = agent("run", "--once");

        assertThat(r.exit()).as(r.all()).isEqualTo(1);
        assertThat(r.err()).contains("powernode-agent: signature:").contains("baked into this image");
        assertThat(entries()).containsExactly("powernode-1.conf");
        assertThat(persist.resolve("powernode/images/" + rogue.image() + ".cfs"))
                .doesNotExist();
    }

    @Test
    void resumesADownloadAnEarlierRunLeftAndDiscardsOneThatIsCorrupt() throws Exception {
        Build v1 = build(Map.of(), 1);
        publish(v1, key);
        flash(v1);
        Build v2 = build(Map.of(), 4);
        publish(v2, key);
        byte[] tar = Files.readAllBytes(v2.dir().resolve("powernode-amd64.composefs-objects.tar"));
        String tarHex = hex(sha256(tar));
        Path downloads = Files.createDirectories(persist.resolve("powernode/agent/downloads"));

        // a corrupt partial download (a crash that left garbage): refused, removed
        byte[] garbage = java.util.Arrays.copyOf(tar, tar.length / 2);
        garbage[100] ^= 1;
        Files.write(downloads.resolve(tarHex + ".part"), garbage);
        Run refused = agent("run", "--once");
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains("digest-mismatch").contains("partial download was discarded");
        assertThat(entries()).containsExactly("powernode-1.conf");

        // the agent was killed half way: the next run asks only for the rest
        Files.write(downloads.resolve(tarHex + ".part"), java.util.Arrays.copyOf(tar, tar.length / 2));
        Run resumed = agent("run", "--once");
        assertThat(resumed.exit()).as(resumed.all()).isZero();
        assertThat(resumed.all()).contains("resumed powernode-amd64.composefs-objects.tar from byte " + tar.length / 2);
        assertThat(entries()).containsExactly("powernode-1.conf", "powernode-2+3.conf");
    }

    @Test
    void fetchPullsEveryFileOfAPublicationVerifiedAndRefusesAnUntrustedSigner() throws Exception {
        Build v1 = build(Map.of(), 2);
        String out = publish(v1, key).out();
        String ref = jdbc.sql("select oci_ref from disk_image_publication where git_sha = :s")
                .param("s", sha(1))
                .query(String.class)
                .single();
        Path into = dir.resolve("fetched");

        Run fetched = cli("agent", "fetch", ref, "--out", into.toString(), "--config", config.toString());

        assertThat(fetched.exit()).as(fetched.all() + out).isZero();
        assertThat(fetched.err()).contains("signed by key[0]");
        for (String f : v1.files()) {
            Path p = Path.of(f);
            assertThat(into.resolve(p.getFileName())).hasSameBinaryContentAs(p);
        }
        assertThat(into.resolve(".partial")).doesNotExist();

        Build rogue = build(Map.of(), 1);
        publish(rogue, otherKey);
        String rogueRef = jdbc.sql("select oci_ref from disk_image_publication where git_sha = :s")
                .param("s", sha(2))
                .query(String.class)
                .single();
        Run refused = cli(
                "agent", "fetch", rogueRef, "--out", dir.resolve("rogue").toString(), "--config", config.toString());
        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).startsWith("powernode-agent: signature:");
        assertThat(dir.resolve("rogue")).doesNotExist();
    }

    @Test
    void anUnreachablePlatformAndABadConfigAreClearErrors() throws Exception {
        Build v1 = build(Map.of(), 1);
        publish(v1, key);
        flash(v1);
        Files.writeString(config, Files.readString(config).replace("http://127.0.0.1:" + port, "http://127.0.0.1:9"));
        Run down = agent("run", "--once");
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.err()).contains("powernode-agent: platform-unreachable:");

        Files.writeString(config, "{\"signers\": {}, \"reboot\": \"sometimes\"}");
        Run bad = agent("run", "--once");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("powernode-agent: config:").contains("signers names no one");
    }

    // ---------------------------------------------------------------------------------------------

    static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    static Run cli(String... args) {
        return Cli.runOnSystemStreams(args);
    }
}
