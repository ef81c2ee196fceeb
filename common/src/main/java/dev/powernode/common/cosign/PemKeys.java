package dev.powernode.common.cosign;

import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** PEM public keys (SubjectPublicKeyInfo) and unencrypted PKCS#8 private keys: EC, RSA or Ed25519. */
public final class PemKeys {
    private static final Pattern BLOCK =
            Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----", Pattern.DOTALL);
    private static final List<String> ALGORITHMS = List.of("EC", "RSA", "Ed25519");

    private PemKeys() {}

    public static PublicKey publicKey(String pem) {
        byte[] der = der(pem, "PUBLIC KEY");
        for (String algorithm : ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (InvalidKeySpecException | NoSuchAlgorithmException | IllegalArgumentException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("not an EC, RSA or Ed25519 public key");
    }

    public static PrivateKey privateKey(String pem) {
        if (pem.contains("ENCRYPTED")) {
            throw new IllegalArgumentException(
                    "encrypted private keys are not supported here; export an unencrypted PKCS#8 key (BEGIN PRIVATE KEY)");
        }
        byte[] der = der(pem, "PRIVATE KEY");
        for (String algorithm : ALGORITHMS) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (InvalidKeySpecException | NoSuchAlgorithmException | IllegalArgumentException e) {
                // try the next algorithm
            }
        }
        throw new IllegalArgumentException("not an EC, RSA or Ed25519 PKCS#8 private key");
    }

    public static String toPem(PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    public static String toPem(PrivateKey key) {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static byte[] der(String pem, String type) {
        Matcher m = BLOCK.matcher(pem == null ? "" : pem);
        if (!m.find() || !m.group(1).equals(type)) {
            throw new IllegalArgumentException("expected a PEM block '-----BEGIN " + type + "-----'");
        }
        try {
            return Base64.getMimeDecoder().decode(m.group(2));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("PEM body is not valid base64", e);
        }
    }
}
