package dev.powernode.common.sigstore;

import static dev.powernode.common.sigstore.Signatures.sha256;
import static dev.powernode.common.sigstore.Signatures.verifies;

import dev.powernode.common.sigstore.SigstoreVerifier.Verified;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * cosign's legacy image signatures (one layer of a {@code sha256-<hex>.sig} manifest): a
 * simple-signing payload with signature, certificate, chain and SET-bundle annotations. The format
 * has a SET but no inclusion proof, and sigstore-java reads none of it, so it is composed here from
 * the certificate and Rekor entry verifiers.
 */
record LegacyVerifier(CertificateVerifier certificates, RekorEntryVerifier entries) {

    /**
     * The annotations of one {@code .sig} layer, as {@link SigstoreVerifier#verifyCosignLegacy}
     * describes them.
     */
    record Layer(byte[] payload, String signature, String certificatePem, String chainPem, String bundleAnnotation) {}

    Verified verify(Layer layer, SignerPolicy policy) {
        byte[] payload = layer.payload();
        String certificatePem = layer.certificatePem();
        String chainPem = layer.chainPem();
        String bundleAnnotation = layer.bundleAnnotation();
        byte[] sig;
        try {
            sig = Base64.getDecoder().decode(layer.signature().strip());
        } catch (IllegalArgumentException e) {
            throw new SigstoreException("signature", "the signature annotation is not base64");
        }
        if (certificatePem == null) {
            return verifyWithKey(payload, sig, bundleAnnotation, policy);
        }
        CertificateVerifier.requireKeyless(policy);
        List<X509Certificate> chain = new ArrayList<>(CertificateVerifier.certificates(certificatePem, "certificate"));
        if (chain.size() != 1) {
            throw new SigstoreException("certificate", "the certificate annotation must hold exactly one certificate");
        }
        if (chainPem != null && !chainPem.isBlank()) {
            chain.addAll(CertificateVerifier.certificates(chainPem, "chain"));
        }
        X509Certificate leaf = chain.get(0);
        certificates.verifyChain(chain);
        if (!verifies(leaf.getPublicKey(), payload, false, sig)) {
            throw new SigstoreException("signature", "the signature does not verify with the certificate's key");
        }
        if (bundleAnnotation == null || bundleAnnotation.isBlank()) {
            // without a SET nothing proves the certificate was valid when the signature was made
            throw new SigstoreException(
                    "tlog", "a keyless signature without a transparency log bundle (" + "dev.sigstore.cosign/bundle)");
        }
        byte[] leafDer = CertificateVerifier.encoded(leaf);
        Instant integrated = entries.verifySet(bundleAnnotation, sha256(payload), sig, leafDer);
        CertificateVerifier.insideValidity(leaf, integrated, -1);
        String signer = CertificateVerifier.matchIdentity(leaf, policy);
        return new Verified(signer, true, integrated, true, null, null);
    }

    private Verified verifyWithKey(byte[] payload, byte[] sig, String bundleAnnotation, SignerPolicy policy) {
        Signatures.requireKeys(policy);
        int matched = Signatures.matchingKey(policy, payload, false, sig);
        PublicKey key = policy.keys().get(matched);
        Instant integrated = null;
        if (bundleAnnotation != null && !bundleAnnotation.isBlank()) {
            integrated = entries.verifySet(bundleAnnotation, sha256(payload), sig, key.getEncoded());
        } else if (policy.keysNeedTlog()) {
            throw new SigstoreException(
                    "tlog", "the policy requires a transparency log entry; the signature has no bundle annotation");
        }
        return new Verified(SigstoreVerifier.keyName(matched, key), false, integrated, integrated != null, null, null);
    }
}
