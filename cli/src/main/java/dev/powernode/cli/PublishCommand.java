package dev.powernode.cli;

import dev.powernode.common.cosign.CosignSigner;
import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
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
import java.util.Set;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;

/**
 * The runner side: push build outputs as one disk-image artifact, sign its manifest digest with a
 * cosign key pair (the legacy .sig layout {@code cosign verify --key} reads), announce it with the
 * HMAC-signed webhook, and optionally wait for the platform's verdict.
 */
@Command(
        name = "publish",
        mixinStandardHelpOptions = true,
        description = {
            "Push FILES as one disk-image artifact (the first file is the primary one), sign it with a",
            "cosign key pair, POST the signed webhook, and with --wait follow the publication until",
            "it is published (exit 0) or failed (exit 1)."
        })
final class PublishCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--platform", required = true, description = "NodePlatform slug or id.")
    String platform;

    @Option(names = "--family", required = true, description = "kernel_initramfs, uefi_disk, iso, ipxe, qcow2 or oci.")
    String family;

    @Option(names = "--arch", required = true, description = "amd64 or arm64.")
    String arch;

    @Option(names = "--registry", required = true, description = "Where to push: host[:port]/repository.")
    String registry;

    @Option(names = "--tag", description = "Also tag the manifest (e.g. the build's git tag).")
    String tag;

    @Option(names = "--plain-http", description = "Reach the registry over http (loopback development registries).")
    boolean plainHttp;

    @Option(
            names = "--registry-username",
            description =
                    "Registry user; the password comes from POWERNODE_REGISTRY_PASSWORD or --registry-password-file.")
    String registryUsername;

    @Option(names = "--registry-password-file", description = "File holding the registry password.")
    Path registryPasswordFile;

    @Option(
            names = "--sign-key",
            required = true,
            description = "Unencrypted PKCS#8 PEM private key (EC P-256, RSA or Ed25519).")
    Path signKey;

    @Option(names = "--webhook-url", required = true, description = "The webhook URL provisioning returned.")
    String webhookUrl;

    @Option(names = "--webhook-secret-env", description = "Environment variable holding the webhook secret.")
    String webhookSecretEnv;

    @Option(names = "--webhook-secret-file", description = "File holding the webhook secret (instead of an env var).")
    Path webhookSecretFile;

    @Option(names = "--git-sha", required = true, description = "Source commit (7-64 hex).")
    String gitSha;

    @Option(names = "--run-id", description = "CI run id, kept with the publication.")
    String runId;

    @Option(names = "--wait", description = "Poll the platform until the publication is published or failed.")
    boolean waitForVerdict;

    @Option(
            names = "--wait-timeout",
            defaultValue = "30m",
            description = "How long --wait waits (default ${DEFAULT-VALUE}).")
    String waitTimeout;

    @Option(names = "--api-url", description = "Platform base URL for --wait (env POWERNODE_API_URL).")
    String apiUrl;

    @Option(names = "--token", description = "Read-scoped API token for --wait (env POWERNODE_TOKEN).")
    String token;

    @Parameters(arity = "1..*", paramLabel = "FILES", description = "Build outputs; the first is the primary artifact.")
    List<Path> files = new ArrayList<>();

    @Override
    public void run() {
        byte[] secret = webhookSecret();
        PrivateKey key = signingKey();
        int slash = registry.indexOf('/');
        if (slash <= 0) {
            throw new CliException("--registry must look like host[:port]/repository, got " + registry, 2);
        }
        String host = registry.substring(0, slash);
        String repository = registry.substring(slash + 1);
        for (Path f : files) {
            if (!Files.isRegularFile(f)) {
                throw new CliException("not a file: " + f, 2);
            }
        }
        RegistryClient.Builder builder = RegistryClient.builder().allowAnyRegistry();
        if (plainHttp) {
            builder.plainHttp(Set.of(host));
        }
        if (registryUsername != null) {
            String password = System.getenv("POWERNODE_REGISTRY_PASSWORD");
            if (registryPasswordFile != null) {
                try {
                    password = Files.readString(registryPasswordFile).strip();
                } catch (IOException e) {
                    throw new CliException("cannot read " + registryPasswordFile + ": " + e.getMessage(), 2);
                }
            }
            if (password == null) {
                throw new CliException(
                        "--registry-username needs POWERNODE_REGISTRY_PASSWORD or --registry-password-file", 2);
            }
            builder.credentials(host, registryUsername, password);
        }
        RegistryClient client = builder.build();

        List<DiskImageArtifacts.Layer> layers = files.stream()
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
                            "dev.powernode.family", family,
                            "dev.powernode.arch", arch,
                            "org.opencontainers.image.revision", gitSha),
                    tag,
                    progress(err));
            err.printf("pushed %s (%.1f s)%n", pushed.ref(), (System.nanoTime() - started) / 1e9);
            CosignSigner.sign(client, pushed.ref(), key);
            err.println("signed " + pushed.ref().digest() + " ("
                    + pushed.ref().digest().tagPrefix() + ".sig)");
        } catch (RegistryException e) {
            throw new CliException("registry: " + e.getMessage());
        }

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("platform", platform);
        body.put("artifact_family", family);
        body.put("arch", arch);
        body.put("oci_ref", pushed.ref().toString());
        body.put("sha256", pushed.primary().digest().hex());
        body.put("size_bytes", pushed.primary().size());
        body.put("git_sha", gitSha);
        if (runId != null) {
            body.put("run_id", runId);
        }
        JsonNode receipt = announce(body, secret);
        String publicationId = receipt.get("publication_id").asString();
        err.println("announced: publication " + publicationId + " "
                + receipt.get("status").asString());
        spec.commandLine().getOut().println(publicationId);
        if (waitForVerdict) {
            await(publicationId);
        }
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
                        .header(WebhookSignature.SIGNATURE_HEADER, WebhookSignature.sign(secret, ts, bytes))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
                        .build();
            } catch (IllegalArgumentException e) {
                throw new CliException("--webhook-url is not a URL: " + webhookUrl, 2);
            }
            try {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 202) {
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

    private void await(String publicationId) {
        ApiOptions api = new ApiOptions();
        api.apiUrl = apiUrl;
        api.token = token;
        ApiClient client = api.client();
        Duration timeout = TokenCommand.ttl(waitTimeout);
        Instant deadline = Instant.now().plus(timeout);
        String last = "";
        while (Instant.now().isBefore(deadline)) {
            JsonNode p = client.get("/api/v1/system/disk_image_publications/" + publicationId);
            String status = p.get("status").asString();
            if (!status.equals(last)) {
                spec.commandLine().getErr().println("publication " + publicationId + ": " + status);
                last = status;
            }
            if (status.equals("published") || status.equals("retired")) {
                spec.commandLine()
                        .getErr()
                        .println("published" + (p.get("active").asBoolean() ? " and current" : ""));
                return;
            }
            if (status.equals("failed")) {
                throw new CliException(
                        "publication failed: " + p.get("error_message").asString());
            }
            sleep(Duration.ofMillis(500));
        }
        throw new CliException("gave up waiting after " + waitTimeout + " (last status: " + last + ")");
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

    private PrivateKey signingKey() {
        try {
            return PemKeys.privateKey(Files.readString(signKey));
        } catch (IOException e) {
            throw new CliException("cannot read --sign-key " + signKey + ": " + e.getMessage(), 2);
        } catch (IllegalArgumentException e) {
            throw new CliException("--sign-key " + signKey + ": " + e.getMessage(), 2);
        }
    }

    private static RegistryClient.Progress progress(java.io.PrintWriter err) {
        long[] lastPercent = {-1};
        return (done, total) -> {
            long percent = total <= 0 ? 100 : done * 100 / total;
            if (total > 8L * 1024 * 1024 && percent / 10 != lastPercent[0] / 10) {
                lastPercent[0] = percent;
                err.printf("  upload %d%% (%d / %d MiB)%n", percent, done >> 20, total >> 20);
            }
        };
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
