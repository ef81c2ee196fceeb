package dev.powernode.common.cosign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.powernode.common.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import org.junit.jupiter.api.Test;

class SimpleSigningTest {
    static final Digest DIGEST = new Digest("ab".repeat(32));

    static KeyPair ecKey() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    @Test
    void payloadNamesTheDigestTheWayCosignWritesIt() {
        String payload =
                new String(SimpleSigning.payload("registry.example/disk-images", DIGEST), StandardCharsets.UTF_8);
        assertThat(payload)
                .isEqualTo("{\"critical\":{\"identity\":{\"docker-reference\":\"registry.example/disk-images\"},"
                        + "\"image\":{\"docker-manifest-digest\":\"sha256:" + "ab".repeat(32) + "\"},"
                        + "\"type\":\"cosign container image signature\"},\"optional\":null}");
        assertThat(SimpleSigning.signedDigest(payload.getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(DIGEST);
    }

    @Test
    void signatureVerifiesWithItsKeyOnly() throws Exception {
        KeyPair key = ecKey();
        KeyPair other = ecKey();
        byte[] payload = SimpleSigning.payload("r/x", DIGEST);
        String sig = SimpleSigning.sign(key.getPrivate(), payload);

        assertThat(SimpleSigning.verify(key.getPublic(), payload, sig)).isTrue();
        assertThat(SimpleSigning.verify(other.getPublic(), payload, sig)).isFalse();
        assertThat(SimpleSigning.verify(
                        key.getPublic(), SimpleSigning.payload("r/x", new Digest("cd".repeat(32))), sig))
                .isFalse();
        assertThat(SimpleSigning.verify(key.getPublic(), payload, "not base64!"))
                .isFalse();
        assertThat(SimpleSigning.verify(key.getPublic(), payload, null)).isFalse();
    }

    @Test
    void pemRoundTripsForPublicAndPrivateKeys() throws Exception {
        KeyPair key = ecKey();
        assertThat(PemKeys.publicKey(PemKeys.toPem(key.getPublic())).getEncoded())
                .isEqualTo(key.getPublic().getEncoded());
        assertThat(PemKeys.privateKey(PemKeys.toPem(key.getPrivate())).getEncoded())
                .isEqualTo(key.getPrivate().getEncoded());
        assertThatThrownBy(
                        () -> PemKeys.privateKey(
                                "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----"))
                .hasMessageContaining("encrypted");
    }

    @Test
    void refusesPayloadsThatAreNotCosignSignatures() {
        assertThatThrownBy(() -> SimpleSigning.signedDigest("{}".getBytes()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SimpleSigning.signedDigest("nope".getBytes()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SimpleSigning.signedDigest(
                        "{\"critical\":{\"type\":\"cosign container image signature\",\"image\":{}}}".getBytes()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
