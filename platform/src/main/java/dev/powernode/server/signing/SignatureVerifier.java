package dev.powernode.server.signing;

import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.RegistryException;
import dev.powernode.common.sigstore.ImageSignatures;
import dev.powernode.common.sigstore.SignerPolicy;
import dev.powernode.common.sigstore.SigstoreException;
import dev.powernode.common.sigstore.SigstoreVerifier;
import dev.powernode.server.oci.FetchedArtifact;
import dev.powernode.server.oci.Registries;
import dev.powernode.server.shared.VerificationFailure;
import dev.powernode.server.storage.StoredArtifact;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Checks an artifact's signatures against its platform's policy, like {@code cosign verify}; fails
 * closed. Finds them in both forms cosign writes (the legacy {@code sha256-<hex>.sig} manifest,
 * key-pair or keyless, and Sigstore bundles attached as OCI referrers) and verifies offline against
 * the configured trusted root ({@code POWERNODE_TRUSTED_ROOT}, default the Sigstore public-good
 * root). Several signatures: verified if any one satisfies the policy, and the audit trail records
 * which.
 */
@Service
public class SignatureVerifier {
    private static final Logger log = LoggerFactory.getLogger(SignatureVerifier.class);

    private final Registries registries;
    private final SigstoreVerifier sigstore;

    SignatureVerifier(Registries registries, SigningProperties props) {
        this.registries = registries;
        if (props.trustedRoot() == null) {
            this.sigstore = SigstoreVerifier.publicGood();
        } else {
            try {
                this.sigstore = SigstoreVerifier.fromFile(props.trustedRoot());
            } catch (SigstoreException e) {
                // a broken trust configuration must stop the service, not verify against something else
                throw new IllegalStateException("POWERNODE_TRUSTED_ROOT: " + e.getMessage(), e);
            }
        }
        log.info("signature verification trusts {}", sigstore.rootName());
    }

    /**
     * Verifies {@code artifact} under {@code policy}. Throws {@link VerificationFailure} naming the
     * check that failed ({@code signature/<check>}); registry trouble propagates as {@link
     * RegistryException} (may be transient).
     */
    public VerifiedArtifact verify(VerificationPolicy policy, FetchedArtifact artifact) {
        SignerPolicy signer = signerPolicy(policy);
        ImageSignatures.Result result;
        try {
            result = new ImageSignatures(registries.client(), sigstore)
                    .verify(artifact.ref().withDigest(artifact.manifestDigest()), signer);
        } catch (SigstoreException e) {
            throw new VerificationFailure("signature/" + e.check(), e.getMessage());
        }
        Descriptor primary = artifact.primaryLayer();
        return new VerifiedArtifact(
                artifact.publicationId(),
                "oci",
                artifact.ref() + "#" + primary.digest(),
                primary.mediaType(),
                primary.digest().hex(),
                primary.size(),
                describe(result.signer()) + " via " + result.source(),
                result.bundlePresent(),
                result.attestationPredicate() != null,
                result.attestationPredicate(),
                result.signatureManifest().toString(),
                result.attached().stream().map(Object::toString).toList(),
                artifact.ref().registry(),
                blobs(artifact));
    }

    private static String describe(SigstoreVerifier.Verified v) {
        String who = v.keyless()
                ? "cosign keyless: " + v.signer()
                : "cosign key-pair: cosign_public_keys" + v.signer().substring(3);
        return v.integratedTime() == null ? who : who + ", logged " + v.integratedTime();
    }

    static SignerPolicy signerPolicy(VerificationPolicy policy) {
        if (policy.isEmpty()) {
            throw new VerificationFailure(
                    "signature/no-policy",
                    "the platform has no verification policy (cosign_public_keys, or cosign_identity_regexp"
                            + " with cosign_oidc_issuer): nothing may be published");
        }
        List<PublicKey> keys = new ArrayList<>();
        for (String pem : policy.publicKeys()) {
            keys.add(PemKeys.publicKey(pem));
        }
        try {
            return policy.identityRegexp() == null
                    ? SignerPolicy.keys(keys, policy.requireTlog())
                    : SignerPolicy.identityRegexp(policy.identityRegexp(), policy.oidcIssuer(), policy.requireTlog())
                            .withKeys(keys);
        } catch (SigstoreException | IllegalArgumentException e) {
            throw new VerificationFailure("signature/policy", "the platform's policy is unusable: " + e.getMessage());
        }
    }

    /**
     * Verifies a directly uploaded file against a {@code cosign sign-blob} key-pair signature
     * (base64 ECDSA/RSA/Ed25519 over the file's bytes) and the platform's public keys.
     */
    public VerifiedArtifact verifyBlob(
            VerificationPolicy policy, StoredArtifact stored, String signature, String mediaType) {
        requirePolicyAndSignature(policy, signature);
        if (signature.strip().startsWith("{")) {
            return verifyBlobBundle(policy, stored, signature, mediaType);
        }
        byte[] sig = bareSignature(policy, signature);
        for (int k = 0; k < policy.publicKeys().size(); k++) {
            PublicKey key = PemKeys.publicKey(policy.publicKeys().get(k));
            if (verifiesFile(key, stored, sig)) {
                return uploaded(
                        stored,
                        mediaType,
                        "cosign sign-blob key-pair: cosign_public_keys[" + k + "] (" + fingerprint(key) + ")",
                        false);
            }
        }
        throw new VerificationFailure(
                "signature/invalid",
                "the upload's signature does not verify with any of the platform's "
                        + policy.publicKeys().size() + " public key(s)");
    }

    /**
     * What can be checked of a direct upload's signature before its bytes arrive, against the
     * SHA-256 the runner announced (the bytes must later hash to it). A Sigstore bundle is verified
     * in full: signature over the digest, certificate chain, log entry and identity or key. A bare
     * key-pair signature must decode, the policy must accept key-pair signatures without a log
     * entry, and it must verify over the digest with one of the platform's EC or RSA keys (an
     * Ed25519 key signs the whole file, so with one configured a bare signature waits for the
     * bytes). Throws {@link VerificationFailure} ({@code signature/<check>}).
     */
    public void checkAnnouncedBlob(VerificationPolicy policy, String sha256, String signature) {
        requirePolicyAndSignature(policy, signature);
        byte[] digest = HexFormat.of().parseHex(sha256);
        if (signature.strip().startsWith("{")) {
            blobBundle(policy, digest, signature);
            return;
        }
        byte[] sig = bareSignature(policy, signature);
        boolean uncheckable = false;
        for (String pem : policy.publicKeys()) {
            PublicKey key = PemKeys.publicKey(pem);
            if (key instanceof java.security.interfaces.ECKey || key instanceof java.security.interfaces.RSAKey) {
                if (verifiesDigest(key, digest, sig)) {
                    return;
                }
            } else {
                uncheckable = true;
            }
        }
        if (!uncheckable) {
            throw new VerificationFailure(
                    "signature/invalid",
                    "the signature does not verify over the announced sha256 with any of the platform's "
                            + policy.publicKeys().size() + " public key(s)");
        }
    }

    /** An upload's signature is checked only against a policy, and only when there is one. */
    private static void requirePolicyAndSignature(VerificationPolicy policy, String signature) {
        if (policy.isEmpty()) {
            throw new VerificationFailure(
                    "signature/no-policy", "the platform has no verification policy: nothing may be published");
        }
        if (signature == null || signature.isBlank()) {
            throw new VerificationFailure("signature/missing", "the upload carries no signature");
        }
    }

    /** The decoded bare signature, once the policy is known to accept one. */
    private static byte[] bareSignature(VerificationPolicy policy, String signature) {
        if (Boolean.TRUE.equals(policy.requireTlog())) {
            throw new VerificationFailure(
                    "signature/tlog",
                    "the platform requires a transparency log entry: upload a Sigstore bundle (cosign sign-blob"
                            + " --bundle), not a bare signature");
        }
        if (policy.publicKeys().isEmpty()) {
            throw new VerificationFailure(
                    "signature/key",
                    "a key-pair blob signature, but the platform has no cosign_public_keys (send a Sigstore bundle"
                            + " for keyless signing)");
        }
        try {
            return java.util.Base64.getDecoder().decode(signature.strip());
        } catch (IllegalArgumentException e) {
            throw new VerificationFailure("signature/invalid", "the upload's signature is not base64");
        }
    }

    /**
     * A signature over a SHA-256 digest, as {@code SHA256withECDSA} / {@code SHA256withRSA} over
     * the whole file would be: ECDSA signs the digest itself, RSA (PKCS#1 v1.5) its DigestInfo.
     */
    private static boolean verifiesDigest(PublicKey key, byte[] digest, byte[] signature) {
        try {
            java.security.Signature s;
            if (key instanceof java.security.interfaces.ECKey) {
                s = java.security.Signature.getInstance("NONEwithECDSA");
                s.initVerify(key);
                s.update(digest);
            } else {
                s = java.security.Signature.getInstance("NONEwithRSA");
                s.initVerify(key);
                s.update(SHA256_DIGEST_INFO);
                s.update(digest);
            }
            return s.verify(signature);
        } catch (java.security.GeneralSecurityException e) {
            return false;
        }
    }

    /** DER prefix of a PKCS#1 DigestInfo for SHA-256 (RFC 8017, 9.2 note 1). */
    private static final byte[] SHA256_DIGEST_INFO = HexFormat.of().parseHex("3031300d060960864801650304020105000420");

    /** A {@code cosign sign-blob --bundle} / Sigstore bundle over the uploaded file's SHA-256. */
    private VerifiedArtifact verifyBlobBundle(
            VerificationPolicy policy, StoredArtifact stored, String bundle, String mediaType) {
        SigstoreVerifier.Verified v = blobBundle(policy, HexFormat.of().parseHex(stored.sha256()), bundle);
        return uploaded(stored, mediaType, describe(v) + " via upload bundle", true);
    }

    /** A verified direct upload: stored in the registry as a manifest over the file, no signature manifests. */
    private static VerifiedArtifact uploaded(
            StoredArtifact stored, String mediaType, String verifiedBy, boolean bundlePresent) {
        return new VerifiedArtifact(
                stored.publicationId(),
                "oci",
                stored.ref() + "#sha256:" + stored.sha256(),
                mediaType,
                stored.sha256(),
                stored.size(),
                verifiedBy,
                bundlePresent,
                false,
                null,
                null,
                java.util.List.of(),
                stored.ref().registry(),
                stored.blobs().stream()
                        .map(b -> new VerifiedArtifact.Blob(b.digest().toString(), b.size()))
                        .distinct()
                        .toList());
    }

    /** What the registry stores for this artifact: the manifest itself, its config, its layers. */
    private static java.util.List<VerifiedArtifact.Blob> blobs(FetchedArtifact artifact) {
        var m = artifact.manifest();
        var blobs = new java.util.ArrayList<VerifiedArtifact.Blob>();
        blobs.add(new VerifiedArtifact.Blob(m.digest().toString(), m.raw().length));
        if (m.config() != null) {
            blobs.add(new VerifiedArtifact.Blob(
                    m.config().digest().toString(), m.config().size()));
        }
        for (Descriptor layer : m.layers()) {
            blobs.add(new VerifiedArtifact.Blob(layer.digest().toString(), layer.size()));
        }
        return blobs.stream().distinct().toList();
    }

    private SigstoreVerifier.Verified blobBundle(VerificationPolicy policy, byte[] digest, String bundle) {
        SigstoreVerifier.Verified v;
        try {
            v = sigstore.verifyBundle(bundle, digest, signerPolicy(policy));
        } catch (SigstoreException e) {
            throw new VerificationFailure("signature/" + e.check(), e.getMessage());
        }
        if (v.predicateType() != null && !ImageSignatures.COSIGN_SIGN_PREDICATE.equals(v.predicateType())) {
            throw new VerificationFailure(
                    "signature/invalid",
                    "the upload carries an attestation (" + v.predicateType() + "), not a signature");
        }
        return v;
    }

    private static boolean verifiesFile(PublicKey key, StoredArtifact stored, byte[] signature) {
        String algorithm = key instanceof java.security.interfaces.ECKey
                ? "SHA256withECDSA"
                : key instanceof java.security.interfaces.RSAKey ? "SHA256withRSA" : "Ed25519";
        try {
            java.security.Signature s = java.security.Signature.getInstance(algorithm);
            s.initVerify(key);
            stored.readTo(new java.io.OutputStream() {
                @Override
                public void write(int b) throws java.io.IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws java.io.IOException {
                    try {
                        s.update(b, off, len);
                    } catch (java.security.SignatureException e) {
                        throw new java.io.IOException(e);
                    }
                }
            });
            return s.verify(signature);
        } catch (java.security.GeneralSecurityException e) {
            return false;
        }
    }

    static String fingerprint(PublicKey key) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            return "sha256:" + HexFormat.of().formatHex(d).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
