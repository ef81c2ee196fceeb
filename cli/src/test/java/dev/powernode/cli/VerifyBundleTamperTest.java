package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Conformance bundles edited the way an attacker would: what the review of the verifier found must
 * stay closed (unsigned log times, Rekor keys outside their validity).
 */
class VerifyBundleTamperTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    Path dir;

    int verify(String caseName, Path bundle, Path root) throws Exception {
        Path c = VerifyBundleWithKeyTest.suite().resolve(caseName);
        Path artifact = Files.exists(c.resolve("artifact"))
                ? c.resolve("artifact")
                : VerifyBundleWithKeyTest.suite().resolve("a.txt");
        return PowernodeCli.execute(
                "verify-bundle",
                "--bundle",
                bundle.toString(),
                "--certificate-identity",
                VerifyBundleConformanceTest.DEFAULT_IDENTITY,
                "--certificate-oidc-issuer",
                VerifyBundleConformanceTest.DEFAULT_ISSUER,
                "--trusted-root",
                root.toString(),
                artifact.toString());
    }

    @Test
    void anIntotoEntryWithoutItsSetCannotChooseItsOwnTime() throws Exception {
        Path c = VerifyBundleWithKeyTest.suite().resolve("intoto-with-custom-trust-root");
        assertThat(verify(
                        "intoto-with-custom-trust-root",
                        c.resolve("bundle.sigstore.json"),
                        c.resolve("trusted_root.json")))
                .isZero();

        ObjectNode bundle = (ObjectNode) JSON.readTree(Files.readString(c.resolve("bundle.sigstore.json")));
        ObjectNode material = (ObjectNode) bundle.get("verificationMaterial");
        material.remove("timestampVerificationData");
        ObjectNode entry = (ObjectNode) material.get("tlogEntries").get(0);
        entry.remove("inclusionPromise");
        Path edited = Files.writeString(dir.resolve("no-set.json"), JSON.writeValueAsString(bundle));

        assertThat(verify("intoto-with-custom-trust-root", edited, c.resolve("trusted_root.json")))
                .isNotZero();
    }

    @Test
    void aRekorKeyOutsideItsValidityVouchesForNothing() throws Exception {
        Path c = VerifyBundleWithKeyTest.suite().resolve("intoto-with-custom-trust-root");
        ObjectNode root = (ObjectNode) JSON.readTree(Files.readString(c.resolve("trusted_root.json")));
        for (var tlog : root.get("tlogs")) {
            ObjectNode validFor = (ObjectNode) tlog.get("publicKey").get("validFor");
            validFor.put("start", "2019-01-01T00:00:00Z");
            validFor.put("end", "2020-01-01T00:00:00Z");
        }
        Path retired = Files.writeString(dir.resolve("retired-rekor.json"), JSON.writeValueAsString(root));

        assertThat(verify("intoto-with-custom-trust-root", c.resolve("bundle.sigstore.json"), retired))
                .isNotZero();
    }
}
