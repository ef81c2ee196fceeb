package dev.powernode.server.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;

/** A platform with a verification policy, for tests that need one to announce for but sign nothing. */
public final class SignedPlatform {
    private SignedPlatform() {}

    /** Creates {@code slug} through the API with a fresh EC public key as its policy. */
    public static void create(Api admin, String slug) throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        String pem = "-----BEGIN PUBLIC KEY-----\\n"
                + Base64.getEncoder()
                        .encodeToString(g.generateKeyPair().getPublic().getEncoded())
                + "\\n-----END PUBLIC KEY-----\\n";
        Api.Response created = admin.post(
                "/api/v1/system/node_platforms",
                "{\"slug\":\"" + slug + "\",\"name\":\"Signed\",\"cosign_public_keys\":[\"" + pem + "\"]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
    }
}
