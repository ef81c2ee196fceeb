package dev.powernode.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Signs test data keylessly with the real Sigstore clients, offline: {@code
 * testkit/sigstore/signer.mjs} (node) runs a mock Fulcio CA, CT log and Rekor from
 * &#64;sigstore/mock on 127.0.0.1 and signs through them with the {@code sigstore} npm client;
 * &#64;sigstore/oci attaches bundles to images.
 *
 * <p>The keys live in the state directory: processes started on the same directory share them
 * and write the same {@link #trustedRoot()}. Bundles verify against that root with a strict
 * verifier (sigstore-java), evaluated at the log's integrated time, so they stay valid as
 * fixtures. A second CA, not in the trusted root, signs when {@link SignOptions#untrustedCa()}
 * asks for it.
 *
 * <p>Install the node packages with {@code testkit/sigstore/install.sh} (scripts/test.sh does).
 * Closing stops the node process.
 */
public final class SigstoreMock implements AutoCloseable {
    /** The directory, relative to the repository root, with the signer and its node packages. */
    public static final String TOOL_DIR = "testkit/sigstore";

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final int STDERR_LINES = 40;
    private static final JsonMapper JSON = JsonMapper.builder().build();
    // ends the reader's queue when node closes its stdout
    private static final String EOF = "\u0000eof";

    private final Process process;
    private final OutputStream stdin;
    private final BlockingQueue<String> stdout = new LinkedBlockingQueue<>();
    private final Deque<String> stderr = new ArrayDeque<>();
    private final Thread shutdownHook;
    private Path trustedRoot;
    private java.net.URI fulcioUrl;
    private java.net.URI rekorUrl;
    private long nextId = 1;

    /** What the signer needs to know about a signing beyond the payload and the identity. */
    public record SignOptions(boolean untrustedCa, long fulcioClockOffsetSeconds) {
        /** The trusted CA, Fulcio on time. */
        public static final SignOptions DEFAULT = new SignOptions(false, 0);

        /** A certificate from the CA that the trusted root does not name (same name, other key). */
        public static SignOptions fromUntrustedCa() {
            return new SignOptions(true, 0);
        }

        /**
         * Fulcio's clock moved by {@code offset}: -20 minutes issues a certificate that (valid 10
         * minutes) has expired when Rekor, on time, integrates the entry. Within ±29 days.
         */
        public static SignOptions withFulcioClockOffset(Duration offset) {
            return new SignOptions(false, offset.toSeconds());
        }
    }

    /** A Sigstore bundle (JSON, v0.3) and the same signature as a cosign legacy signature. */
    public record Signed(String bundleJson, LegacySignature legacy) {}

    /**
     * What a cosign legacy keyless signature ({@code sha256-<hex>.sig} manifest layer) carries:
     * the signature (base64, the layer's {@code dev.cosignproject.cosign/signature} annotation),
     * the leaf certificate and chain PEMs ({@code dev.sigstore.cosign/certificate}, {@code
     * .../chain}; the chain is the issuing mock root, empty if unknown) and the {@code
     * dev.sigstore.cosign/bundle} annotation value: {@code {"SignedEntryTimestamp": base64,
     * "Payload": {"body": base64, "integratedTime": n, "logIndex": n, "logID": hex}}}.
     */
    public record LegacySignature(
            String signatureBase64, String certificatePem, String chainPem, String bundleAnnotation) {
        /** The layer annotations cosign writes (signature, certificate, chain if any, SET bundle). */
        public java.util.Map<String, String> annotations() {
            java.util.Map<String, String> a = new java.util.LinkedHashMap<>();
            a.put(dev.powernode.common.cosign.SimpleSigning.SIGNATURE_ANNOTATION, signatureBase64);
            a.put(dev.powernode.common.cosign.SimpleSigning.CERTIFICATE_ANNOTATION, certificatePem);
            if (chainPem != null && !chainPem.isBlank()) {
                a.put(dev.powernode.common.cosign.SimpleSigning.CHAIN_ANNOTATION, chainPem);
            }
            a.put(dev.powernode.common.cosign.SimpleSigning.BUNDLE_ANNOTATION, bundleAnnotation);
            return a;
        }
    }

    private SigstoreMock(Process process) {
        this.process = process;
        this.stdin = process.getOutputStream();
        this.shutdownHook = new Thread(this::stopProcess, "stop-sigstore-mock-" + process.pid());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /**
     * The repository root: the first directory, from the working directory upwards, that
     * contains {@value #TOOL_DIR}.
     */
    public static Path repositoryRoot() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(TOOL_DIR).resolve("signer.mjs"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no " + TOOL_DIR + "/signer.mjs in " + start + " or any parent directory");
    }

    /** Fails with instructions when the node packages are not installed. */
    public static void ensureInstalled() {
        Path tool = repositoryRoot().resolve(TOOL_DIR);
        if (!Files.isDirectory(tool.resolve("node_modules/sigstore"))
                || !Files.isDirectory(tool.resolve("node_modules/@sigstore/mock"))
                || !Files.isDirectory(tool.resolve("node_modules/@sigstore/oci"))) {
            throw new IllegalStateException("the Sigstore signer's node packages are not installed in "
                    + tool.resolve("node_modules") + ": run " + TOOL_DIR
                    + "/install.sh (scripts/test.sh does); it needs node and npm");
        }
    }

    /** The node binary: {@code POWERNODE_NODE} if set, else {@code node} from the PATH. */
    static String nodeBinary() {
        String override = System.getenv("POWERNODE_NODE");
        return override == null || override.isBlank() ? "node" : override;
    }

    /** Starts the signer on {@code stateDir}, creating its keys there or reusing those it holds. */
    public static SigstoreMock start(Path stateDir) {
        ensureInstalled();
        Path tool = repositoryRoot().resolve(TOOL_DIR);
        Process process;
        try {
            Files.createDirectories(stateDir);
            process = new ProcessBuilder(
                            nodeBinary(),
                            tool.resolve("signer.mjs").toString(),
                            stateDir.toAbsolutePath().toString())
                    .directory(tool.toFile())
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot start " + nodeBinary() + " " + TOOL_DIR + "/signer.mjs: " + e.getMessage(), e);
        }
        SigstoreMock mock = new SigstoreMock(process);
        mock.pump();
        try {
            JsonNode ready = mock.read(STARTUP_TIMEOUT, "start");
            if (!ready.path("ready").asBoolean(false)) {
                throw mock.failure("unexpected first line from signer.mjs: " + ready);
            }
            mock.trustedRoot = Path.of(ready.path("trustedRoot").asString());
            mock.fulcioUrl = java.net.URI.create(ready.path("fulcioUrl").asString());
            mock.rekorUrl = java.net.URI.create(ready.path("rekorUrl").asString());
            return mock;
        } catch (RuntimeException e) {
            mock.close();
            throw e;
        }
    }

    /**
     * An unsigned OIDC-shaped token ({@code alg: none}) with {@code sub} and {@code iss}: the mock
     * Fulcio reads the claims without verifying the token.
     */
    public static String unsignedIdentityToken(String subject, String issuer) {
        java.util.Base64.Encoder b64 = java.util.Base64.getUrlEncoder().withoutPadding();
        String claims = JSON.writeValueAsString(java.util.Map.of("sub", subject, "iss", issuer, "aud", "sigstore"));
        return b64.encodeToString(
                        "{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8))
                + "." + b64.encodeToString(claims.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + ".";
    }

    /** The trusted mock Fulcio's base URL (serves {@code POST /api/v2/signingCert}), for clients that sign themselves. */
    public java.net.URI fulcioUrl() {
        return fulcioUrl;
    }

    /** The mock Rekor's base URL (serves {@code POST /api/v1/log/entries}). */
    public java.net.URI rekorUrl() {
        return rekorUrl;
    }

    /** {@code <stateDir>/trusted_root.json}: the trusted CA, the CT log and the tlog (Rekor) keys. */
    public Path trustedRoot() {
        return trustedRoot;
    }

    /** A message signature bundle (JSON) over {@code payload} from the trusted CA. */
    public String signBlob(byte[] payload, String identity, String issuer) {
        return sign(payload, identity, issuer, SignOptions.DEFAULT).bundleJson();
    }

    /**
     * A message signature bundle over {@code payload}, certificate SAN {@code identity} (a URI)
     * and OIDC issuer {@code issuer}, made by {@code sigstore.sign()}; with its legacy form.
     */
    public Signed sign(byte[] payload, String identity, String issuer, SignOptions options) {
        ObjectNode request = request("sign", identity, issuer, options);
        request.put("payloadBase64", Base64.getEncoder().encodeToString(payload));
        return signed(call(request));
    }

    /** A DSSE bundle (JSON) over an in-toto statement from the trusted CA. */
    public String attest(byte[] statement, String identity, String issuer) {
        return attest(statement, identity, issuer, SignOptions.DEFAULT).bundleJson();
    }

    /**
     * A DSSE bundle (payload type {@code application/vnd.in-toto+json}) over {@code statement},
     * made by {@code sigstore.attest()} and logged as a Rekor {@code dsse} entry.
     */
    public Signed attest(byte[] statement, String identity, String issuer, SignOptions options) {
        ObjectNode request = request("attest", identity, issuer, options);
        request.put("statementBase64", Base64.getEncoder().encodeToString(statement));
        return signed(call(request));
    }

    /** The cosign legacy form of a bundle made by this signer. */
    public LegacySignature legacy(String bundleJson) {
        ObjectNode request = JSON.createObjectNode().put("op", "legacy").put("bundle", bundleJson);
        return legacy(call(request).path("legacy"));
    }

    /**
     * Attaches {@code bundleJson} to the image {@code imageRef} ({@code
     * 127.0.0.1:PORT/repo@sha256:<hex>}, plain http) as an OCI referrer with &#64;sigstore/oci;
     * on registries without the referrers API it also writes the tag-schema index
     * {@code sha256-<hex>}. Returns the referrer manifest's digest.
     */
    public String attach(String bundleJson, String imageRef, String username, String password) {
        ObjectNode request = JSON.createObjectNode()
                .put("op", "attach")
                .put("bundle", bundleJson)
                .put("imageRef", imageRef)
                .put("username", Objects.requireNonNullElse(username, ""))
                .put("password", Objects.requireNonNullElse(password, ""));
        return call(request).path("digest").asString();
    }

    /** {@link #attach(String, String, String, String)} with the registry's credentials. */
    public String attach(String bundleJson, String imageRef, RegistryProcess registry) {
        return attach(bundleJson, imageRef, registry.username(), registry.password());
    }

    /** {@link #attach(String, String, String, String)} for a registry without authentication. */
    public String attach(String bundleJson, String imageRef) {
        return attach(bundleJson, imageRef, "", "");
    }

    @Override
    public void close() {
        stopProcess();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run; nothing to remove
        }
    }

    private static ObjectNode request(String op, String identity, String issuer, SignOptions options) {
        return JSON.createObjectNode()
                .put("op", op)
                .put("identity", Objects.requireNonNull(identity, "identity"))
                .put("issuer", Objects.requireNonNull(issuer, "issuer"))
                .put("ca", options.untrustedCa() ? "untrusted" : "trusted")
                .put("fulcioClockOffsetSeconds", options.fulcioClockOffsetSeconds());
    }

    private static Signed signed(JsonNode response) {
        return new Signed(response.path("bundle").toString(), legacy(response.path("legacy")));
    }

    private static LegacySignature legacy(JsonNode json) {
        return new LegacySignature(
                json.path("signatureBase64").asString(),
                json.path("certificatePem").asString(),
                json.path("chainPem").asString(),
                json.path("bundleAnnotation").asString());
    }

    private synchronized JsonNode call(ObjectNode request) {
        long id = nextId++;
        request.put("id", id);
        String op = request.path("op").asString();
        try {
            stdin.write((request.toString() + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            throw failure("cannot send " + op + " to signer.mjs: " + e.getMessage());
        }
        JsonNode response = read(REQUEST_TIMEOUT, op);
        // a late answer to an earlier request that timed out is dropped
        while (response.path("id").asLong(-1) < id && response.path("id").asLong(-1) > 0) {
            response = read(REQUEST_TIMEOUT, op);
        }
        if (response.path("id").asLong(-1) != id) {
            throw failure("signer.mjs answered request " + response.path("id") + " while " + id + " was expected");
        }
        if (!response.path("ok").asBoolean(false)) {
            throw failure(
                    "signer.mjs " + op + " failed: " + response.path("error").asString("(no message)"));
        }
        return response;
    }

    private JsonNode read(Duration timeout, String what) {
        String line;
        try {
            line = stdout.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failure("interrupted while waiting for signer.mjs (" + what + ")");
        }
        if (line == null) {
            throw failure("signer.mjs did not answer " + what + " within " + timeout.toSeconds() + " s");
        }
        if (line == EOF) {
            stdout.add(EOF);
            throw failure("signer.mjs exited during " + what);
        }
        try {
            return JSON.readTree(line);
        } catch (JacksonException e) {
            throw failure("signer.mjs wrote a line that is not JSON: " + line);
        }
    }

    private IllegalStateException failure(String message) {
        String exit = "";
        try {
            if (process.waitFor(200, TimeUnit.MILLISECONDS)) {
                exit = " (exit status " + process.exitValue() + ")";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new IllegalStateException(message + exit + "\nsigstore-mock stderr:\n" + stderrTail());
    }

    /** The last lines node wrote to stderr, for failure messages. */
    public String stderrTail() {
        synchronized (stderr) {
            return stderr.isEmpty() ? "(nothing)" : String.join("\n", stderr);
        }
    }

    private void pump() {
        Thread out = new Thread(
                () -> {
                    try (BufferedReader reader = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line; (line = reader.readLine()) != null; ) {
                            stdout.add(line);
                        }
                    } catch (IOException ignored) {
                        // the process is gone; EOF below tells the waiting caller
                    }
                    stdout.add(EOF);
                },
                "sigstore-mock-stdout-" + process.pid());
        Thread err = new Thread(
                () -> {
                    try (BufferedReader reader = new BufferedReader(
                            new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                        for (String line; (line = reader.readLine()) != null; ) {
                            synchronized (stderr) {
                                stderr.addLast(line);
                                while (stderr.size() > STDERR_LINES) {
                                    stderr.removeFirst();
                                }
                            }
                        }
                    } catch (IOException ignored) {
                        // the process is gone
                    }
                },
                "sigstore-mock-stderr-" + process.pid());
        out.setDaemon(true);
        err.setDaemon(true);
        out.start();
        err.start();
    }

    private void stopProcess() {
        if (!process.isAlive()) {
            return;
        }
        try {
            // closing stdin lets signer.mjs finish the current request and exit by itself
            stdin.close();
        } catch (IOException ignored) {
            // destroyed below
        }
        ChildProcesses.stop(process, Duration.ofSeconds(5));
    }
}
