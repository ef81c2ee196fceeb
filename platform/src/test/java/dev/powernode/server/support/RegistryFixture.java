package dev.powernode.server.support;

import dev.powernode.common.cosign.CosignSigner;
import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.testkit.FaultProxy;
import dev.powernode.testkit.RegistryProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.util.FileSystemUtils;

/**
 * The real docker-registry binary (and a fault proxy in front of it) for ingest tests, plus the
 * runner-side operations: push an artifact, sign it with a cosign key pair.
 */
public final class RegistryFixture implements AutoCloseable {
    public final RegistryProcess registry;
    public final FaultProxy proxy;
    public final RegistryClient client;
    public final KeyPair signingKey;
    private final Path work;

    public RegistryFixture() {
        RegistryProcess.ensureInstalled();
        this.registry = RegistryProcess.start();
        this.proxy = FaultProxy.start(registry.registry());
        this.client = registry.clientBuilder().build();
        this.signingKey = newKey();
        try {
            this.work = Files.createTempDirectory("powernode-artifacts");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static KeyPair newKey() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The service may pull from the registry directly and through the proxy. */
    public void register(DynamicPropertyRegistry props) {
        String direct = registry.registry();
        String viaProxy = proxy.registry();
        props.add("powernode.registry.allowed-hosts", () -> direct + "," + viaProxy);
        props.add("powernode.registry.plain-http", () -> direct + "," + viaProxy);
        props.add(
                "powernode.registry.credentials",
                () -> direct + "=" + registry.username() + ":" + registry.password() + ";" + viaProxy + "="
                        + registry.username() + ":" + registry.password());
        props.add("powernode.registry.read-timeout", () -> "2s");
        props.add("powernode.upload.repository", () -> direct + "/uploads");
        props.add("powernode.ingest.enabled", () -> "true");
        props.add("powernode.ingest.threads", () -> "4");
        props.add("powernode.ingest.max-attempts", () -> "4");
        props.add("powernode.ingest.backoff-base", () -> "200ms");
        props.add("powernode.ingest.backoff-max", () -> "1s");
        props.add("powernode.ingest.polling-interval", () -> "200ms");
        props.add("powernode.ingest.heartbeat-interval", () -> "1s");
        // retention runs only when a test asks for it
        props.add("powernode.retention.cron", () -> "0 0 0 1 1 *");
    }

    public String publicKeyPem() {
        return PemKeys.toPem(signingKey.getPublic());
    }

    /** The build time of the artifact {@link #push(String, int, long)} makes from {@code seed}: later seeds are newer. */
    public static Instant buildTime(long seed) {
        return Instant.ofEpochSecond(1_700_000_000L + seed);
    }

    /**
     * Pushes a one-layer artifact of {@code size} random bytes (plus a small second layer), built
     * at {@link #buildTime(long)}.
     */
    public DiskImageArtifacts.Pushed push(String repository, int size, long seed) {
        return push(repository, size, seed, buildTime(seed));
    }

    /** {@link #push(String, int, long)} with its manifest's {@code org.opencontainers.image.created} set to {@code builtAt}. */
    public DiskImageArtifacts.Pushed push(String repository, int size, long seed, Instant builtAt) {
        try {
            byte[] bytes = new byte[size];
            new Random(seed).nextBytes(bytes);
            Path disk = work.resolve("disk-" + seed + ".img");
            Files.write(disk, bytes);
            Path cmdline = work.resolve("cmdline-" + seed);
            Files.writeString(cmdline, "console=ttyS0 powernode.build=" + seed + "\n");
            return DiskImageArtifacts.push(
                    client,
                    registry.registry(),
                    repository,
                    List.of(
                            new DiskImageArtifacts.Layer(disk, "disk.img", MediaTypes.OCTET_STREAM),
                            new DiskImageArtifacts.Layer(cmdline, "cmdline", "text/plain")),
                    Map.of(
                            "dev.powernode.seed",
                            Long.toString(seed),
                            "org.opencontainers.image.created",
                            builtAt.toString()),
                    null,
                    RegistryClient.Progress.NONE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public OciRef sign(OciRef artifact) {
        return CosignSigner.sign(client, artifact, signingKey.getPrivate());
    }

    /** The same artifact as the service should see it when going through the fault proxy. */
    public OciRef viaProxy(OciRef ref) {
        return new OciRef(proxy.registry(), ref.repository(), ref.digest(), ref.tag());
    }

    @Override
    public void close() {
        proxy.close();
        registry.close();
        try {
            FileSystemUtils.deleteRecursively(work);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
