package dev.powernode.cli.bench;

import dev.powernode.common.cosign.CosignSigner;
import dev.powernode.common.cosign.SimpleSigning;
import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.sigstore.ImageSignatures;
import dev.powernode.common.sigstore.SignerPolicy;
import dev.powernode.common.sigstore.SigstoreVerifier;
import dev.powernode.testkit.RegistryProcess;
import dev.powernode.testkit.SigstoreMock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Bench (not a test; run by bench/verify-latency.sh): the signature verification of one
 * publication as the ingest does it — fetch the manifest, find and fetch its signatures (legacy
 * {@code .sig} and bundle referrers via the tag fallback), verify offline — excluding blob hashing.
 * The real docker-registry on loopback with Basic auth, signatures from real Sigstore clients.
 * Prints p50/p99/max over RUNS runs per signature form. Target (issue 4): p99 < 100 ms.
 */
public final class VerifyLatencyBench {
    static final String ISSUER = "https://git.example.org";
    static final String IDENTITY =
            "https://git.example.org/powernode/images/.gitea/workflows/build.yaml@refs/heads/main";

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        Path work = Files.createTempDirectory("powernode-verify-bench");
        try (RegistryProcess registry = RegistryProcess.start();
                SigstoreMock sigstore = SigstoreMock.start(work.resolve("sigstore"))) {
            RegistryClient client = registry.clientBuilder().build();
            KeyPair key = init(KeyPairGenerator.getInstance("EC")).generateKeyPair();
            SigstoreVerifier verifier = SigstoreVerifier.fromFile(sigstore.trustedRoot());
            SignerPolicy keyless = SignerPolicy.identityRegexp(
                    "https://git\\.example\\.org/powernode/images/\\.gitea/workflows/build\\.yaml@refs/heads/main",
                    ISSUER,
                    null);
            SignerPolicy keyPair = SignerPolicy.keys(List.of(key.getPublic()), null);

            DiskImageArtifacts.Pushed a = push(client, registry, work, 1);
            CosignSigner.sign(client, a.ref(), key.getPrivate());
            DiskImageArtifacts.Pushed b = push(client, registry, work, 2);
            sigstore.attach(
                    sigstore.signBlob(b.manifest(), IDENTITY, ISSUER), b.ref().toString(), registry);
            DiskImageArtifacts.Pushed c = push(client, registry, work, 3);
            byte[] payload = SimpleSigning.payload(c.ref().name(), c.ref().digest());
            SigstoreMock.LegacySignature legacy = sigstore.sign(
                            payload, IDENTITY, ISSUER, SigstoreMock.SignOptions.DEFAULT)
                    .legacy();
            CosignSigner.attach(client, c.ref(), payload, legacy.annotations());

            System.out.printf("verification latency, %d runs each (after 30 warm-up runs), loopback registry%n", runs);
            System.out.printf("%-34s %8s %8s %8s%n", "signature form", "p50 ms", "p99 ms", "max ms");
            measure("cosign key-pair, legacy .sig", runs, client, verifier, a.ref(), keyPair);
            measure("keyless, Sigstore bundle referrer", runs, client, verifier, b.ref(), keyless);
            measure("keyless, legacy .sig + SET", runs, client, verifier, c.ref(), keyless);
        } finally {
            // the pushed test images and the signer's files: nothing of the bench stays in /tmp
            try (var files = Files.walk(work)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    static KeyPairGenerator init(KeyPairGenerator g) throws Exception {
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g;
    }

    static void measure(
            String name, int runs, RegistryClient client, SigstoreVerifier verifier, OciRef ref, SignerPolicy policy) {
        for (int i = 0; i < 30; i++) {
            once(client, verifier, ref, policy);
        }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            once(client, verifier, ref, policy);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf(
                "%-34s %8.1f %8.1f %8.1f%n",
                name, ms[(int) Math.ceil(runs * 0.50) - 1], ms[(int) Math.ceil(runs * 0.99) - 1], ms[runs - 1]);
    }

    /** What the ingest does per publication, minus blob hashing: the manifest, then its signatures. */
    static void once(RegistryClient client, SigstoreVerifier verifier, OciRef ref, SignerPolicy policy) {
        client.getManifest(ref);
        new ImageSignatures(client, verifier).verify(ref, policy);
    }

    static DiskImageArtifacts.Pushed push(RegistryClient client, RegistryProcess registry, Path work, int seed)
            throws Exception {
        byte[] bytes = new byte[64 * 1024];
        new Random(seed).nextBytes(bytes);
        Path f = work.resolve("disk-" + seed + ".img");
        Files.write(f, bytes);
        return DiskImageArtifacts.push(
                client,
                registry.registry(),
                "bench",
                List.of(new DiskImageArtifacts.Layer(f, "disk.img", MediaTypes.OCTET_STREAM)),
                Map.of(),
                null,
                RegistryClient.Progress.NONE);
    }
}
