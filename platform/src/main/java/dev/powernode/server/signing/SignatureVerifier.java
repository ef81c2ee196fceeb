package dev.powernode.server.signing;

import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.cosign.SimpleSigning;
import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.Manifest;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import dev.powernode.server.oci.FetchedArtifact;
import dev.powernode.server.oci.Registries;
import dev.powernode.server.shared.VerificationFailure;
import dev.powernode.server.storage.StoredArtifact;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.springframework.stereotype.Service;

/**
 * Finds the signatures attached to an artifact's manifest digest and checks them against the
 * platform's policy; fails closed. Supported here: cosign key-pair signatures in the legacy
 * {@code sha256-<hex>.sig} form. Several signatures: verified if any one satisfies the policy.
 */
@Service
public class SignatureVerifier {
    static final long MAX_PAYLOAD = 64 * 1024;

    private final Registries registries;

    SignatureVerifier(Registries registries) {
        this.registries = registries;
    }

    /**
     * Verifies {@code artifact} under {@code policy}. Throws {@link VerificationFailure} naming the
     * check that failed; registry trouble propagates as {@link RegistryException} (may be transient).
     */
    public VerifiedArtifact verify(VerificationPolicy policy, FetchedArtifact artifact) {
        if (policy.isEmpty()) {
            throw new VerificationFailure(
                    "signature/no-policy",
                    "the platform has no verification policy (cosign_public_keys, or cosign_identity_regexp"
                            + " with cosign_oidc_issuer): nothing may be published");
        }
        Digest digest = artifact.manifestDigest();
        OciRef sigRef = artifact.ref().withTag(digest.tagPrefix() + ".sig");
        RegistryClient client = registries.client();
        Manifest signatures;
        try {
            signatures = client.getManifest(sigRef);
        } catch (RegistryException e) {
            if (e.kind() == RegistryException.Kind.NOT_FOUND) {
                throw new VerificationFailure(
                        "signature/missing",
                        "no cosign signature for " + digest + " (tag " + sigRef.tag() + " not found)");
            }
            throw e;
        }
        List<PublicKey> keys = new ArrayList<>();
        for (String pem : policy.publicKeys()) {
            keys.add(PemKeys.publicKey(pem));
        }
        List<String> reasons = new ArrayList<>();
        int index = 0;
        for (Descriptor layer : signatures.layers()) {
            index++;
            if (!MediaTypes.COSIGN_SIMPLESIGNING.equals(layer.mediaType())) {
                reasons.add("signature " + index + ": unsupported media type " + layer.mediaType());
                continue;
            }
            String signature = layer.annotations().get(SimpleSigning.SIGNATURE_ANNOTATION);
            if (signature == null) {
                reasons.add("signature " + index + ": no " + SimpleSigning.SIGNATURE_ANNOTATION + " annotation");
                continue;
            }
            if (layer.annotations().containsKey(SimpleSigning.CERTIFICATE_ANNOTATION)) {
                reasons.add("signature " + index
                        + ": keyless (certificate) signatures are not accepted by this verifier yet");
                continue;
            }
            if (keys.isEmpty()) {
                reasons.add(
                        "signature " + index + ": a key-pair signature, but the platform has no cosign_public_keys");
                continue;
            }
            if (layer.size() > MAX_PAYLOAD) {
                reasons.add("signature " + index + ": payload of " + layer.size() + " bytes is too large");
                continue;
            }
            ByteArrayOutputStream payload = new ByteArrayOutputStream((int) layer.size());
            client.fetchBlob(sigRef.registry(), sigRef.repository(), layer, payload, RegistryClient.Progress.NONE);
            byte[] bytes = payload.toByteArray();
            int matchedKey = -1;
            for (int k = 0; k < keys.size(); k++) {
                if (SimpleSigning.verify(keys.get(k), bytes, signature)) {
                    matchedKey = k;
                    break;
                }
            }
            if (matchedKey < 0) {
                reasons.add("signature " + index + ": does not verify with any of the platform's " + keys.size()
                        + " public key(s)");
                continue;
            }
            Digest signed;
            try {
                signed = SimpleSigning.signedDigest(bytes);
            } catch (IllegalArgumentException e) {
                reasons.add("signature " + index + ": " + e.getMessage());
                continue;
            }
            if (!signed.equals(digest)) {
                reasons.add("signature " + index + ": signs " + signed + ", not the manifest " + digest);
                continue;
            }
            Descriptor primary = artifact.primaryLayer();
            return new VerifiedArtifact(
                    artifact.publicationId(),
                    "oci",
                    artifact.ref() + "#" + primary.digest(),
                    primary.mediaType(),
                    primary.digest().hex(),
                    primary.size(),
                    "cosign key-pair: cosign_public_keys[" + matchedKey + "] (" + fingerprint(keys.get(matchedKey))
                            + ")",
                    false,
                    false,
                    null,
                    signatures.digest().toString());
        }
        if (reasons.isEmpty()) {
            reasons.add("the signature manifest " + sigRef.tag() + " has no signatures");
        }
        throw new VerificationFailure(
                "signature/invalid", "no signature satisfies the platform's policy: " + String.join("; ", reasons));
    }

    /**
     * Verifies a directly uploaded file against a {@code cosign sign-blob} key-pair signature
     * (base64 ECDSA/RSA/Ed25519 over the file's bytes) and the platform's public keys.
     */
    public VerifiedArtifact verifyBlob(
            VerificationPolicy policy, StoredArtifact stored, String signature, String mediaType) {
        if (policy.isEmpty()) {
            throw new VerificationFailure(
                    "signature/no-policy", "the platform has no verification policy: nothing may be published");
        }
        if (signature == null || signature.isBlank()) {
            throw new VerificationFailure("signature/missing", "the upload carries no signature");
        }
        if (policy.publicKeys().isEmpty()) {
            throw new VerificationFailure(
                    "signature/invalid",
                    "a key-pair blob signature, but the platform has no cosign_public_keys (keyless blob bundles"
                            + " are not accepted by this verifier yet)");
        }
        byte[] sig;
        try {
            sig = java.util.Base64.getDecoder().decode(signature.strip());
        } catch (IllegalArgumentException e) {
            throw new VerificationFailure("signature/invalid", "the upload's signature is not base64");
        }
        for (int k = 0; k < policy.publicKeys().size(); k++) {
            PublicKey key = PemKeys.publicKey(policy.publicKeys().get(k));
            if (verifiesFile(key, stored.path(), sig)) {
                return new VerifiedArtifact(
                        stored.publicationId(),
                        "local",
                        stored.path().toString(),
                        mediaType,
                        stored.sha256(),
                        stored.size(),
                        "cosign sign-blob key-pair: cosign_public_keys[" + k + "] (" + fingerprint(key) + ")",
                        false,
                        false,
                        null,
                        null);
            }
        }
        throw new VerificationFailure(
                "signature/invalid",
                "the upload's signature does not verify with any of the platform's "
                        + policy.publicKeys().size() + " public key(s)");
    }

    private static boolean verifiesFile(PublicKey key, java.nio.file.Path file, byte[] signature) {
        String algorithm = key instanceof java.security.interfaces.ECKey
                ? "SHA256withECDSA"
                : key instanceof java.security.interfaces.RSAKey ? "SHA256withRSA" : "Ed25519";
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            java.security.Signature s = java.security.Signature.getInstance(algorithm);
            s.initVerify(key);
            byte[] buffer = new byte[256 * 1024];
            int n;
            while ((n = in.read(buffer)) > 0) {
                s.update(buffer, 0, n);
            }
            return s.verify(signature);
        } catch (java.security.GeneralSecurityException e) {
            return false;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
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
