package dev.powernode.server.signing;

import dev.powernode.server.oci.FetchedArtifact;

/**
 * Proof that a fetched artifact (bytes re-hashed) carries a signature over its manifest digest
 * that satisfies its platform's policy. Only {@link SignatureVerifier} makes one; publishing takes one.
 *
 * @param verifiedBy which key or identity satisfied the policy, for the audit trail
 */
public final class VerifiedArtifact {
    private final FetchedArtifact artifact;
    private final String verifiedBy;
    private final boolean cosignBundlePresent;
    private final boolean attestationPresent;
    private final String attestationPredicate;

    VerifiedArtifact(
            FetchedArtifact artifact,
            String verifiedBy,
            boolean cosignBundlePresent,
            boolean attestationPresent,
            String attestationPredicate) {
        this.artifact = artifact;
        this.verifiedBy = verifiedBy;
        this.cosignBundlePresent = cosignBundlePresent;
        this.attestationPresent = attestationPresent;
        this.attestationPredicate = attestationPredicate;
    }

    public FetchedArtifact artifact() {
        return artifact;
    }

    public String verifiedBy() {
        return verifiedBy;
    }

    public boolean cosignBundlePresent() {
        return cosignBundlePresent;
    }

    public boolean attestationPresent() {
        return attestationPresent;
    }

    public String attestationPredicate() {
        return attestationPredicate;
    }
}
