package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Key-pair bundles are verified by our own code, so its refusals are tested beyond the suite. */
class VerifyBundleWithKeyTest {
    @TempDir
    Path tmp;

    final Path caseDir = suite().resolve("managed-key-happy-path");

    static Path suite() {
        try {
            return VerifyBundleConformanceTest.suite();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    int verify(Path bundle, Path key, String artifact) {
        return PowernodeCli.execute("verify-bundle", "--bundle", bundle.toString(), "--key", key.toString(), artifact);
    }

    @Test
    void acceptsTheSignedArtifactByDigest() throws Exception {
        String digest = "sha256:"
                + java.util.HexFormat.of()
                        .formatHex(java.security.MessageDigest.getInstance("SHA-256")
                                .digest(Files.readAllBytes(suite().resolve("a.txt"))));
        assertThat(verify(caseDir.resolve("bundle.sigstore.json"), caseDir.resolve("key.pub"), digest))
                .isZero();
    }

    @Test
    void refusesAnArtifactOtherThanTheSignedOne() {
        assertThat(verify(
                        caseDir.resolve("bundle.sigstore.json"),
                        caseDir.resolve("key.pub"),
                        "sha256:" + "0".repeat(64)))
                .isNotZero();
    }

    @Test
    void refusesAKeyOtherThanTheSigners() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        String pem = "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder()
                        .encodeToString(generator.generateKeyPair().getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        Path otherKey = Files.writeString(tmp.resolve("other.pub"), pem);
        assertThat(verify(
                        caseDir.resolve("bundle.sigstore.json"),
                        otherKey,
                        suite().resolve("a.txt").toString()))
                .isNotZero();
    }

    @Test
    void refusesABundleWithoutLogEntries() throws Exception {
        String json = Files.readString(caseDir.resolve("bundle.sigstore.json"), StandardCharsets.UTF_8);
        var tree = (tools.jackson.databind.node.ObjectNode)
                tools.jackson.databind.json.JsonMapper.builder().build().readTree(json);
        ((tools.jackson.databind.node.ObjectNode) tree.get("verificationMaterial")).putArray("tlogEntries");
        String stripped = tree.toString();
        Path bundle = Files.writeString(tmp.resolve("bundle.json"), stripped);
        assertThat(verify(
                        bundle,
                        caseDir.resolve("key.pub"),
                        suite().resolve("a.txt").toString()))
                .isNotZero();
    }

    @Test
    void refusesALogEntryWithACorruptedRootHash() throws Exception {
        String json = Files.readString(caseDir.resolve("bundle.sigstore.json"), StandardCharsets.UTF_8);
        String corrupted = json.replace(
                "\"rootHash\":\"rnpacIXSjoToEDh0qD4CLAKdkPnW1Y4R1DhFMS+AGlI=\"",
                "\"rootHash\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"");
        assertThat(corrupted).isNotEqualTo(json);
        Path bundle = Files.writeString(tmp.resolve("bundle.json"), corrupted);
        assertThat(verify(
                        bundle,
                        caseDir.resolve("key.pub"),
                        suite().resolve("a.txt").toString()))
                .isNotZero();
    }
}
