package dev.powernode.server.platform;

import dev.powernode.common.sigstore.SignerPolicy;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.Text;
import dev.powernode.server.shared.Violations;
import dev.powernode.server.shared.WireEnum;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/** Field rules for NodePlatform input; the database enforces the same bounds as a last line. */
final class PlatformRules {
    static final Pattern SLUG = Pattern.compile("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$");
    static final int MAX_NAME = 200;
    static final int MAX_BUILD_SCRIPT = 65_536;
    static final int MAX_POLICY_TEXT = 1_024;
    static final int MAX_KEYS = 20;
    private static final Pattern PEM_PUBLIC_KEY =
            Pattern.compile("-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]+)-----END PUBLIC KEY-----\\s*");

    private PlatformRules() {}

    /** Parses a wire enum value, recording a violation (and returning null) when it is not one. */
    static <E extends Enum<E> & WireEnum.Valued> E parse(Violations v, String field, String value, Class<E> type) {
        try {
            return WireEnum.parse(type, field, value);
        } catch (DomainException e) {
            e.fieldErrors().forEach(fe -> v.add(fe.field(), fe.message()));
            return null;
        }
    }

    static void slug(Violations v, String slug) {
        if (slug == null || slug.isEmpty()) {
            v.add("slug", "is required");
        } else if (!SLUG.matcher(slug).matches()) {
            v.add("slug", "must be 1-63 lowercase letters, digits or '-', not starting or ending with '-'");
        }
    }

    static void name(Violations v, String name) {
        if (name == null || name.isBlank()) {
            v.add("name", "is required");
        } else if (name.length() > MAX_NAME) {
            v.add("name", "must be at most " + MAX_NAME + " characters");
        }
    }

    static void buildScript(Violations v, String script) {
        if (script != null && script.length() > MAX_BUILD_SCRIPT) {
            v.add("build_script", "must be at most " + MAX_BUILD_SCRIPT + " characters");
        }
    }

    static void retention(Violations v, Integer count) {
        if (count != null && (count < 1 || count > 100)) {
            v.add("disk_image_retention_count", "must be between 1 and 100");
        }
    }

    /** Checks the policy as it will stand after the change, so half a keyless policy is refused. */
    static void policy(Violations v, String identityRegexp, String issuer, List<String> keys) {
        if (identityRegexp != null) {
            if (identityRegexp.isBlank() || identityRegexp.length() > MAX_POLICY_TEXT) {
                v.add("cosign_identity_regexp", "must be 1-" + MAX_POLICY_TEXT + " characters");
            } else {
                // compiled by the engine the verifier matches with (RE2/J, linear time)
                String problem = SignerPolicy.identityPatternProblem(identityRegexp);
                if (problem != null) {
                    v.add("cosign_identity_regexp", problem);
                }
            }
        }
        if (issuer != null) {
            if (!Text.isHttpUrl(issuer) || issuer.length() > MAX_POLICY_TEXT) {
                v.add("cosign_oidc_issuer", "must be an absolute http(s) URL, e.g. https://token.actions.example.org");
            }
        }
        if ((identityRegexp == null) != (issuer == null)) {
            v.add(
                    identityRegexp == null ? "cosign_identity_regexp" : "cosign_oidc_issuer",
                    "keyless verification needs both cosign_identity_regexp and cosign_oidc_issuer");
        }
        if (keys != null) {
            if (keys.size() > MAX_KEYS) {
                v.add("cosign_public_keys", "at most " + MAX_KEYS + " keys");
            }
            for (int i = 0; i < keys.size(); i++) {
                String problem = publicKeyProblem(keys.get(i));
                if (problem != null) {
                    v.add("cosign_public_keys[" + i + "]", problem);
                }
            }
        }
    }

    /** Null when {@code pem} is a PEM SubjectPublicKeyInfo of an EC, RSA or Ed25519 key. */
    static String publicKeyProblem(String pem) {
        if (pem == null) {
            return "must not be null";
        }
        var m = PEM_PUBLIC_KEY.matcher(pem.strip() + "\n");
        if (!m.matches()) {
            return "must be a PEM public key (-----BEGIN PUBLIC KEY-----)";
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(m.group(1));
        } catch (IllegalArgumentException e) {
            return "PEM body is not valid base64";
        }
        for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
            try {
                KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
                return null;
            } catch (InvalidKeySpecException | NoSuchAlgorithmException | IllegalArgumentException e) {
                // try the next algorithm
            }
        }
        return "is not an EC, RSA or Ed25519 public key";
    }
}
