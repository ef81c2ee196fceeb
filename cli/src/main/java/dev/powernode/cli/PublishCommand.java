package dev.powernode.cli;

import dev.powernode.common.cosign.CosignSigner;
import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.cosign.SimpleSigning;
import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import dev.powernode.common.sigstore.KeylessSigner;
import dev.powernode.common.sigstore.SigstoreException;
import dev.powernode.common.webhook.WebhookSignature;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/**
 * The runner side: push build outputs as one disk-image artifact per family, sign each manifest
 * digest with a cosign key pair (the legacy .sig layout {@code cosign verify --key} reads), announce
 * it with the HMAC-signed webhook, and optionally wait for the platform's verdict.
 */
@Command(
        name = "publish",
        mixinStandardHelpOptions = true,
        description = {
            "Publish a build: with --build-dir, every artifact family build.sh wrote (read from its"
                    + " manifest.json); with --family and FILES, those files as one artifact (the first is the"
                    + " primary one).",
            "Each artifact is pushed, signed (--sign-key: a cosign key pair; --keyless: a Fulcio certificate"
                    + " for the CI's OIDC token, logged in Rekor) and announced with the signed webhook;"
                    + " --wait follows the publications until they are published (exit 0) or one failed (exit 1).",
            "stdout: one line per publication, 'ID' (FILES) or 'FAMILY ID'."
        })
final class PublishCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--platform", required = true, description = "NodePlatform slug or id.")
    String platform;

    @Option(
            names = "--build-dir",
            paramLabel = "DIR",
            description = "A build.sh output directory: publish every family its manifest.json lists.")
    Path buildDir;

    @Option(
            names = "--family",
            split = ",",
            description = {
                "kernel_initramfs, uefi_disk, iso, ipxe, qcow2 or oci (required with FILES);",
                "with --build-dir a comma list restricting the families published."
            })
    List<String> families = new ArrayList<>();

    @Option(names = "--arch", description = "amd64 or arm64 (required with FILES; with --build-dir must match it).")
    String arch;

    @Option(names = "--registry", required = true, description = "Where to push: host[:port]/repository.")
    String registry;

    @Option(
            names = "--tag",
            description = {
                "Also tag the manifest (e.g. the build's git tag); with --build-dir TAG-FAMILY.",
                "--build-dir tags ARCH-FAMILY-BUILD_ID when not given."
            })
    String tag;

    @picocli.CommandLine.Mixin
    RegistryOptions registryOptions;

    @picocli.CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Signing signing;

    /** How the manifest digest is signed: a key pair, or keyless through Fulcio and Rekor. */
    static final class Signing {
        @Option(
                names = "--sign-key",
                description = "Key pair: unencrypted PKCS#8 PEM private key (EC P-256, RSA or Ed25519).")
        Path signKey;

        @Option(
                names = "--keyless",
                description = "Keyless: a Fulcio certificate for the CI's OIDC identity token, the signature logged in"
                        + " Rekor (cosign's legacy .sig layout with certificate, chain and SET).")
        boolean keyless;
    }

    @Option(
            names = "--fulcio-url",
            defaultValue = "https://fulcio.sigstore.dev",
            description = "With --keyless: Fulcio (default: ${DEFAULT-VALUE}; a private Sigstore's for yours).")
    URI fulcioUrl;

    @Option(
            names = "--rekor-url",
            defaultValue = "https://rekor.sigstore.dev",
            description = "With --keyless: Rekor (default: ${DEFAULT-VALUE}).")
    URI rekorUrl;

    @Option(
            names = "--identity-token-env",
            defaultValue = "SIGSTORE_ID_TOKEN",
            description =
                    "With --keyless: environment variable holding the OIDC identity token (default: ${DEFAULT-VALUE}).")
    String identityTokenEnv;

    @Option(names = "--identity-token-file", description = "With --keyless: file holding the OIDC identity token.")
    Path identityTokenFile;

    @Option(names = "--webhook-url", required = true, description = "The webhook URL provisioning returned.")
    String webhookUrl;

    @Option(names = "--webhook-secret-env", description = "Environment variable holding the webhook secret.")
    String webhookSecretEnv;

    @Option(names = "--webhook-secret-file", description = "File holding the webhook secret (instead of an env var).")
    Path webhookSecretFile;

    @Option(names = "--git-sha", description = "Source commit (7-64 hex; required with FILES; default: the build's).")
    String gitSha;

    @Option(names = "--run-id", description = "CI run id, kept with the publication.")
    String runId;

    @Option(
            names = "--firmware-ref",
            description = {
                "What the image boots through (e.g. the UEFI stub of its UKI), kept as the publication's"
                        + " firmware_ref.",
                "With --build-dir default: the build manifest's firmware_ref, for the families that boot"
                        + " through the UKI (not kernel_initramfs)."
            })
    String firmwareRef;

    @Option(
            names = "--worker-id",
            description = "The registered ci_worker (id) running this publish; it must be bound to the webhook's label"
                    + " (kept as triggered_by_worker_id).")
    String workerId;

    @Option(
            names = "--build-time",
            description = {
                "When the build was made (RFC 3339, e.g. 2026-11-29T01:30:00Z, or unix seconds): written into each"
                        + " manifest as org.opencontainers.image.created and announced as build_time.",
                "The platform auto-promotes only builds newer than the current one by this time.",
                "Default: the build manifest's source_date_epoch with --build-dir, else now."
            })
    String buildTime;

    @Option(names = "--wait", description = "Poll the platform until the publications are published or failed.")
    boolean waitForVerdict;

    @Option(
            names = "--wait-timeout",
            defaultValue = "30m",
            description = "How long --wait waits in all (default ${DEFAULT-VALUE}).")
    String waitTimeout;

    @Option(names = "--api-url", description = "Platform base URL for --wait (env POWERNODE_API_URL).")
    String apiUrl;

    @Option(names = "--token", description = "Read-scoped API token for --wait (env POWERNODE_TOKEN).")
    String token;

    @Parameters(arity = "0..*", paramLabel = "FILES", description = "Build outputs; the first is the primary artifact.")
    List<Path> files = new ArrayList<>();

    /** One artifact to publish; {@code expectedSha256} are the build manifest's digests, if any. */
    private record Upload(
            String family, List<Path> files, List<String> expectedSha256, String tag, String firmwareRef) {}

    private record Announced(String family, String publicationId, long announcedAtNanos) {}

    @Override
    public void run() {
        List<Upload> uploads = new ArrayList<>();
        String sha;
        String arch;
        Instant builtAt = buildTime == null ? null : parseBuildTime(buildTime);
        if (buildDir != null) {
            if (!files.isEmpty()) {
                throw new CliException("pass either --build-dir or FILES, not both", 2);
            }
            BuildOutputs build = BuildOutputs.read(buildDir, new java.util.LinkedHashSet<>(families));
            if (this.arch != null && !this.arch.equals(build.arch())) {
                throw new CliException(
                        "--arch " + this.arch + " but " + buildDir + " is a " + build.arch() + " build", 2);
            }
            arch = build.arch();
            sha = gitSha != null ? gitSha : build.gitSha();
            if (builtAt == null) {
                builtAt = build.builtAt() != null ? build.builtAt() : now();
            }
            for (BuildOutputs.Family f : build.families()) {
                uploads.add(new Upload(
                        f.family(),
                        f.files().stream().map(BuildOutputs.Output::file).toList(),
                        f.files().stream().map(BuildOutputs.Output::sha256).toList(),
                        build.tag(tag, f.family()),
                        firmwareRef != null
                                ? firmwareRef
                                : BuildOutputs.bootsThroughUki(f.family()) ? build.firmwareRef() : null));
            }
        } else {
            if (files.isEmpty()) {
                throw new CliException("nothing to publish: pass --build-dir DIR or --family F FILES", 2);
            }
            if (families.size() != 1) {
                throw new CliException("FILES are one artifact: pass exactly one --family", 2);
            }
            if (this.arch == null || gitSha == null) {
                throw new CliException("FILES need --arch and --git-sha", 2);
            }
            for (Path f : files) {
                if (!Files.isRegularFile(f)) {
                    throw new CliException("not a file: " + f, 2);
                }
            }
            arch = this.arch;
            sha = gitSha;
            uploads.add(new Upload(families.get(0), files, List.of(), tag, firmwareRef));
            if (builtAt == null) {
                builtAt = now();
            }
        }
        byte[] secret = webhookSecret();
        ImageSigner key = imageSigner();
        int slash = registry.indexOf('/');
        if (workerId != null && !workerId.matches("[0-9a-fA-F-]{36}")) {
            throw new CliException("--worker-id must be a worker's id (a UUID), got " + workerId, 2);
        }
        if (slash <= 0) {
            throw new CliException("--registry must look like host[:port]/repository, got " + registry, 2);
        }
        String host = registry.substring(0, slash);
        String repository = registry.substring(slash + 1);
        RegistryClient client = registryOptions.client(host);
        // a waiting client is checked before anything is pushed: a missing token is a usage error
        ApiClient api = waitForVerdict ? apiClient() : null;

        var err = spec.commandLine().getErr();
        var out = spec.commandLine().getOut();
        List<Announced> announced = new ArrayList<>();
        for (Upload u : uploads) {
            if (uploads.size() > 1) {
                err.println("==> " + u.family() + " (" + arch + "): "
                        + u.files().stream()
                                .map(p -> p.getFileName().toString())
                                .collect(java.util.stream.Collectors.joining(", ")));
            }
            Announced a = publishOne(client, host, repository, u, arch, sha, builtAt, secret, key);
            announced.add(a);
            out.println(buildDir != null ? a.family() + " " + a.publicationId() : a.publicationId());
            out.flush();
        }
        if (waitForVerdict) {
            Instant deadline = Instant.now().plus(TokenCommand.ttl(waitTimeout));
            List<String> failures = new ArrayList<>();
            for (Announced a : announced) {
                String failure = await(api, a, deadline);
                if (failure != null) {
                    failures.add(failure);
                }
            }
            if (!failures.isEmpty()) {
                throw new CliException(String.join("; ", failures));
            }
        }
    }

    private Announced publishOne(
            RegistryClient client,
            String host,
            String repository,
            Upload u,
            String arch,
            String sha,
            Instant builtAt,
            byte[] secret,
            ImageSigner key) {
        List<DiskImageArtifacts.Layer> layers = u.files().stream()
                .map(f -> new DiskImageArtifacts.Layer(f, f.getFileName().toString(), MediaTypes.OCTET_STREAM))
                .toList();
        var err = spec.commandLine().getErr();
        DiskImageArtifacts.Pushed pushed;
        try {
            long started = System.nanoTime();
            pushed = DiskImageArtifacts.push(
                    client,
                    host,
                    repository,
                    layers,
                    Map.of(
                            "dev.powernode.platform", platform,
                            "dev.powernode.family", u.family(),
                            "dev.powernode.arch", arch,
                            "org.opencontainers.image.revision", sha,
                            // signed with the manifest: the platform orders builds by it
                            "org.opencontainers.image.created", builtAt.toString()),
                    u.tag(),
                    progress(err));
            err.printf("pushed %s (%s)%n", pushed.ref(), seconds(started));
            for (int i = 0; i < u.expectedSha256().size(); i++) {
                String hex = pushed.layers().get(i).digest().hex();
                if (!hex.equals(u.expectedSha256().get(i))) {
                    // the signature must never cover bytes other than the build's
                    throw new CliException(u.files().get(i) + " does not match " + BuildOutputs.MANIFEST
                            + " (sha256 " + hex + ", manifest "
                            + u.expectedSha256().get(i)
                            + "); pushed but not signed or announced");
                }
            }
            started = System.nanoTime();
            key.sign(client, pushed.ref());
            err.println((signing.keyless ? "signed keyless " : "signed ")
                    + pushed.ref().digest() + " (" + pushed.ref().digest().tagPrefix() + ".sig) (" + seconds(started)
                    + ")");
        } catch (RegistryException e) {
            throw new CliException("registry: " + e.getMessage());
        }

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("platform", platform);
        body.put("artifact_family", u.family());
        body.put("arch", arch);
        body.put("oci_ref", pushed.ref().toString());
        body.put("sha256", pushed.primary().digest().hex());
        body.put("size_bytes", pushed.primary().size());
        body.put("git_sha", sha);
        body.put("build_time", builtAt.toString());
        if (u.firmwareRef() != null) {
            body.put("firmware_ref", u.firmwareRef());
        }
        if (runId != null) {
            body.put("run_id", runId);
        }
        if (workerId != null) {
            body.put("worker_id", workerId);
        }
        long started = System.nanoTime();
        JsonNode receipt = announce(body, secret);
        long announcedAt = System.nanoTime();
        String publicationId = receipt.get("publication_id").asString();
        boolean already = receipt.path("already_announced").asBoolean(false);
        err.println((already ? "already announced: publication " : "announced: publication ") + publicationId + " "
                + receipt.get("status").asString() + " (" + seconds(started) + ")");
        return new Announced(u.family(), publicationId, announcedAt);
    }

    /** Whole seconds: a build time reads the same in the manifest, the webhook and the database. */
    private static Instant now() {
        return Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    }

    private static Instant parseBuildTime(String text) {
        try {
            return text.matches("[0-9]{1,12}")
                    ? Instant.ofEpochSecond(Long.parseLong(text))
                    : java.time.OffsetDateTime.parse(text).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            throw new CliException(
                    "--build-time must be RFC 3339 (2026-11-29T01:30:00Z) or unix seconds, got " + text, 2);
        }
    }

    private ApiClient apiClient() {
        ApiOptions api = new ApiOptions();
        api.apiUrl = apiUrl;
        api.token = token;
        return api.client();
    }

    private JsonNode announce(Map<String, Object> body, byte[] secret) {
        byte[] bytes = ApiClient.JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        String delivery = UUID.randomUUID().toString();
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        // the same delivery id on every retry: the platform answers a repeat with its first answer
        for (int attempt = 1; ; attempt++) {
            long ts = Instant.now().getEpochSecond();
            HttpRequest request;
            try {
                request = HttpRequest.newBuilder(URI.create(webhookUrl))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json")
                        .header(WebhookSignature.DELIVERY_HEADER, delivery)
                        .header(WebhookSignature.TIMESTAMP_HEADER, Long.toString(ts))
                        .header(WebhookSignature.SIGNATURE_HEADER, WebhookSignature.sign(secret, ts, delivery, bytes))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                        .build();
            } catch (IllegalArgumentException e) {
                throw new CliException("--webhook-url is not a URL: " + webhookUrl, 2);
            }
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                // 200: this manifest was announced before; the answer names that publication
                if (r.statusCode() == 202 || r.statusCode() == 200) {
                    return ApiClient.JSON.readTree(r.body());
                }
                if (r.statusCode() < 500 || attempt == 5) {
                    throw new CliException("webhook refused (HTTP " + r.statusCode() + "): " + detail(r.body()));
                }
            } catch (IOException e) {
                if (attempt == 5) {
                    throw new CliException("cannot reach the webhook " + webhookUrl + ": " + e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException("interrupted");
            }
            sleep(Duration.ofSeconds(1L << attempt));
        }
    }

    /** Follows one publication to its verdict: null when published, else the reason it failed. */
    private String await(ApiClient client, Announced a, Instant deadline) {
        String id = a.publicationId();
        String label = buildDir != null ? a.family() + " publication " + id : "publication " + id;
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            JsonNode p = client.get("/api/v1/system/disk_image_publications/" + id);
            String status = p.get("status").asString();
            if (!status.equals(last)) {
                spec.commandLine().getErr().println(label + ": " + status);
                last = status;
            }
            if (status.equals("published") || status.equals("retired")) {
                spec.commandLine()
                        .getErr()
                        .println(label + ": published" + (p.get("active").asBoolean() ? " and current" : "") + " ("
                                + seconds(a.announcedAtNanos()) + " after the webhook)");
                return null;
            }
            if (status.equals("failed")) {
                String reason = (buildDir != null ? a.family() + " " : "") + "publication failed: "
                        + p.get("error_message").asString();
                spec.commandLine().getErr().println(reason);
                return reason;
            }
            sleep(Duration.ofMillis(250));
        }
        return "gave up waiting after " + waitTimeout + " for " + label + " (last status: " + last + ")";
    }

    private byte[] webhookSecret() {
        try {
            if (webhookSecretFile != null) {
                return Files.readString(webhookSecretFile).strip().getBytes(StandardCharsets.US_ASCII);
            }
        } catch (IOException e) {
            throw new CliException("cannot read " + webhookSecretFile + ": " + e.getMessage(), 2);
        }
        String value = webhookSecretEnv == null ? null : System.getenv(webhookSecretEnv);
        if (value == null || value.isBlank()) {
            throw new CliException(
                    "no webhook secret: pass --webhook-secret-env VAR (set in the CI secrets) or --webhook-secret-file",
                    2);
        }
        return value.strip().getBytes(StandardCharsets.US_ASCII);
    }

    /** Signs one pushed manifest and attaches the signature in cosign's layout. */
    interface ImageSigner {
        void sign(RegistryClient client, OciRef manifest);
    }

    private ImageSigner imageSigner() {
        if (!signing.keyless) {
            PrivateKey key = signingKey(signing.signKey);
            return (client, ref) -> CosignSigner.sign(client, ref, key);
        }
        String token = identityToken();
        KeylessSigner signer = new KeylessSigner(fulcioUrl, rekorUrl);
        return (client, ref) -> {
            byte[] payload = SimpleSigning.payload(ref.name(), ref.digest());
            KeylessSigner.Signed signed;
            try {
                signed = signer.sign(payload, token);
            } catch (SigstoreException e) {
                throw new CliException("keyless signing (" + e.check() + "): " + e.getMessage());
            }
            CosignSigner.attach(client, ref, payload, signed.annotations());
        };
    }

    private String identityToken() {
        String token;
        if (identityTokenFile != null) {
            try {
                token = Files.readString(identityTokenFile);
            } catch (IOException e) {
                throw new CliException(
                        "cannot read --identity-token-file " + identityTokenFile + ": " + e.getMessage(), 2);
            }
        } else {
            token = System.getenv(identityTokenEnv);
            if (token == null || token.isBlank()) {
                throw new CliException(
                        "--keyless needs an OIDC identity token: set " + identityTokenEnv
                                + " (or --identity-token-env VAR / --identity-token-file FILE)",
                        2);
            }
        }
        return token.strip();
    }

    private static PrivateKey signingKey(Path signKey) {
        try {
            return PemKeys.privateKey(Files.readString(signKey));
        } catch (IOException e) {
            throw new CliException("cannot read --sign-key " + signKey + ": " + e.getMessage(), 2);
        } catch (IllegalArgumentException e) {
            throw new CliException("--sign-key " + signKey + ": " + e.getMessage(), 2);
        }
    }

    // One line per 10 % of a blob over 8 MiB, with the rate so far (hashing the file included): a
    // long upload shows it moves. Reports come per chunk; a blob starts where the previous one ended.
    // A blob reported done at once (one request, or already in the registry) gets no rate.
    private static RegistryClient.Progress progress(java.io.PrintWriter err) {
        long[] lastPercent = {-1};
        long[] blobStarted = {System.nanoTime()};
        return (done, total) -> {
            if (total > 8L * 1024 * 1024) {
                long percent = done * 100 / total;
                if (percent / 10 != lastPercent[0] / 10) {
                    boolean first = lastPercent[0] < 0;
                    lastPercent[0] = percent;
                    double secs = Math.max(1e-3, (System.nanoTime() - blobStarted[0]) / 1e9);
                    err.printf(
                            java.util.Locale.ROOT,
                            "  upload %d%% (%d / %d MiB%s)%n",
                            percent,
                            done >> 20,
                            total >> 20,
                            first && done >= total
                                    ? ""
                                    : String.format(java.util.Locale.ROOT, ", %.0f MiB/s", done / 1048576.0 / secs));
                    err.flush();
                }
            }
            if (done >= total) {
                lastPercent[0] = -1;
                blobStarted[0] = System.nanoTime();
            }
        };
    }

    private static String seconds(long startedNanos) {
        return String.format(java.util.Locale.ROOT, "%.2f s", (System.nanoTime() - startedNanos) / 1e9);
    }

    private static String detail(String body) {
        try {
            JsonNode problem = ApiClient.JSON.readTree(body);
            return problem.has("detail") ? problem.get("detail").asString() : body;
        } catch (RuntimeException e) {
            return body;
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted");
        }
    }
}
