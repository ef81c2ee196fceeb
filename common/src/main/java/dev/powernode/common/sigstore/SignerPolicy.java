package dev.powernode.common.sigstore;

import java.security.PublicKey;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Who must have signed: a keyless identity (the certificate SAN matched whole against {@code
 * identity}, the OIDC issuer exactly), and/or key-pair public keys.
 *
 * <p>{@code requireTlog} demands transparency-log evidence (an inclusion proof or a SET) for
 * key-pair signatures; {@code null} means the default, false. Keyless signatures always need it:
 * the short-lived certificate can only be checked against a logged signing time.
 */
public record SignerPolicy(Pattern identity, String issuer, List<PublicKey> keys, Boolean requireTlog) {
    public SignerPolicy {
        keys = keys == null ? List.of() : List.copyOf(keys);
        if ((identity == null) != (issuer == null)) {
            throw new IllegalArgumentException("a keyless policy needs both an identity and an issuer");
        }
    }

    /** Keyless, identity matched exactly (the sigstore-conformance protocol). */
    public static SignerPolicy exactIdentity(String identity, String issuer) {
        return new SignerPolicy(Pattern.compile(Pattern.quote(identity)), issuer, List.of(), null);
    }

    /**
     * Keyless, identity as a regular expression that must match the whole SAN ({@code cosign verify
     * --certificate-identity-regexp}, anchored).
     */
    public static SignerPolicy identityRegexp(String regexp, String issuer, Boolean requireTlog) {
        try {
            return new SignerPolicy(Pattern.compile(regexp), issuer, List.of(), requireTlog);
        } catch (PatternSyntaxException e) {
            throw new SigstoreException("policy", "invalid identity regexp: " + e.getDescription());
        }
    }

    public static SignerPolicy keys(List<PublicKey> keys, Boolean requireTlog) {
        return new SignerPolicy(null, null, keys, requireTlog);
    }

    public boolean keyless() {
        return identity != null;
    }

    public SignerPolicy withKeys(List<PublicKey> more) {
        return new SignerPolicy(identity, issuer, more, requireTlog);
    }

    /** Whether a key-pair signature needs transparency-log evidence. */
    public boolean keysNeedTlog() {
        return Boolean.TRUE.equals(requireTlog);
    }
}
