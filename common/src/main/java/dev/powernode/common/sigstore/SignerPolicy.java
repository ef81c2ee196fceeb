package dev.powernode.common.sigstore;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.security.PublicKey;
import java.util.List;

/**
 * Who must have signed: a keyless identity (the certificate SAN matched whole against {@code
 * identity}, the OIDC issuer exactly), and/or key-pair public keys.
 *
 * <p>Identity patterns are RE2 syntax, evaluated by RE2/J in time linear in the input: an operator's
 * (or an attacker's) {@code ^(a+)+$} cannot stall verification. Backreferences and lookaround do
 * not exist in RE2 and are refused when the policy is built ({@link #identityPatternProblem}).
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
        // java.util.regex's \Q...\E quoting (it escapes an embedded \E) is valid RE2 syntax too
        return new SignerPolicy(Pattern.compile(java.util.regex.Pattern.quote(identity)), issuer, List.of(), null);
    }

    /**
     * Keyless, identity as a regular expression that must match the whole SAN ({@code cosign verify
     * --certificate-identity-regexp}, anchored).
     */
    public static SignerPolicy identityRegexp(String regexp, String issuer, Boolean requireTlog) {
        String problem = identityPatternProblem(regexp);
        if (problem != null) {
            throw new SigstoreException("policy", "invalid identity regexp: " + problem);
        }
        return new SignerPolicy(Pattern.compile(regexp), issuer, List.of(), requireTlog);
    }

    /**
     * Null when {@code regexp} is a usable identity pattern (RE2 syntax, as {@link #identityRegexp}
     * compiles it); otherwise why not, for the operator who typed it.
     */
    public static String identityPatternProblem(String regexp) {
        if (regexp == null) {
            return "is required";
        }
        try {
            Pattern.compile(regexp);
            return null;
        } catch (PatternSyntaxException e) {
            return "is not a valid RE2 regular expression (no backreferences or lookaround): "
                    + e.getMessage().replaceFirst("^error parsing regexp: ", "");
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
