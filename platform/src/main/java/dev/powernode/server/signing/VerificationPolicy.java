package dev.powernode.server.signing;

import dev.powernode.server.platform.NodePlatform;
import java.util.List;

/** A platform's signature policy: keyless identity + issuer, and/or key-pair public keys. */
public record VerificationPolicy(
        String identityRegexp, String oidcIssuer, List<String> publicKeys, Boolean requireTlog) {
    public VerificationPolicy {
        publicKeys = publicKeys == null ? List.of() : List.copyOf(publicKeys);
    }

    public static VerificationPolicy of(NodePlatform p) {
        return new VerificationPolicy(
                p.cosignIdentityRegexp(), p.cosignOidcIssuer(), p.cosignPublicKeys(), p.requireTlog());
    }

    public boolean isEmpty() {
        return identityRegexp == null && publicKeys.isEmpty();
    }
}
