package dev.powernode.common.sigstore;

import dev.powernode.common.cosign.SimpleSigning;
import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.Manifest;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Finds and verifies the signatures of an image manifest in both forms cosign writes, like {@code
 * cosign verify}: the legacy {@code sha256-<hex>.sig} manifest (simple-signing payloads, key-pair or
 * keyless with certificate, chain and SET annotations) and Sigstore bundles attached as OCI referrers
 * (the referrers API, or its {@code sha256-<hex>} tag fallback). Verified if any one signature
 * satisfies the policy; the result records which. Attached in-toto attestations that verify under
 * the same policy are reported too (they do not count as signatures).
 */
public final class ImageSignatures {
    /** The in-toto predicate cosign v3 uses for an image signature in a bundle. */
    public static final String COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1";

    static final long MAX_SIGNATURE_BYTES = 256 * 1024;
    /** At most this many legacy layers and bundle referrers are tried: a registry cannot make us loop. */
    static final int MAX_CANDIDATES = 16;

    private static final String BUNDLE_PREFIX = "application/vnd.dev.sigstore.bundle";

    private final RegistryClient client;
    private final SigstoreVerifier verifier;

    /**
     * @param signer who signed and how ({@link SigstoreVerifier.Verified#signer()})
     * @param source where the accepted signature was found, for the audit trail
     * @param signatureManifest the manifest holding it (what retention deletes with the image)
     * @param bundlePresent a Sigstore bundle attached as a referrer verified
     * @param attestationPredicate the predicate type of the first verified in-toto attestation, or null
     * @param attached every other manifest attached to the image that was seen (the legacy {@code .sig}
     *     manifest, Sigstore bundle and attestation referrers): deleted with the image
     */
    public record Result(
            SigstoreVerifier.Verified signer,
            String source,
            Digest signatureManifest,
            boolean bundlePresent,
            String attestationPredicate,
            List<Digest> attached) {
        public Result {
            attached = List.copyOf(attached);
        }
    }

    public ImageSignatures(RegistryClient client, SigstoreVerifier verifier) {
        this.client = Objects.requireNonNull(client);
        this.verifier = Objects.requireNonNull(verifier);
    }

    /**
     * Verifies the signatures of {@code image} (a reference by digest). Throws {@link
     * SigstoreException} ({@code missing} when there is no signature at all, else the check that
     * failed, with every candidate's reason); registry trouble propagates as {@link RegistryException}.
     */
    public Result verify(OciRef image, SignerPolicy policy) {
        Digest digest = Objects.requireNonNull(image.digest(), "image digest");
        List<String> reasons = new ArrayList<>();
        String lastCheck = null;
        SigstoreVerifier.Verified accepted = null;
        String source = null;
        Digest signatureManifest = null;
        int candidates = 0;
        java.util.Set<Digest> attached = new java.util.LinkedHashSet<>();

        OciRef sigRef = image.withTag(digest.tagPrefix() + ".sig");
        Manifest legacy = null;
        try {
            legacy = client.getManifest(sigRef);
        } catch (RegistryException e) {
            if (e.kind() != RegistryException.Kind.NOT_FOUND) {
                throw e;
            }
        }
        if (legacy != null) {
            attached.add(legacy.digest());
            int index = 0;
            for (Descriptor layer : legacy.layers()) {
                index++;
                if (index > MAX_CANDIDATES) {
                    reasons.add(sigRef.tag() + ": layers after the first " + MAX_CANDIDATES + " are not tried");
                    break;
                }
                candidates++;
                String where = "signature " + sigRef.tag() + "[" + index + "]";
                try {
                    SigstoreVerifier.Verified v = verifyLegacyLayer(sigRef, layer, digest, policy);
                    if (accepted == null) {
                        accepted = v;
                        source = where;
                        signatureManifest = legacy.digest();
                    }
                    break;
                } catch (SigstoreException e) {
                    reasons.add(where + ": " + e.getMessage());
                    lastCheck = e.check();
                } catch (RegistryException e) {
                    if (e.isTransient()) {
                        throw e; // worth another attempt
                    }
                    reasons.add(where + ": " + e.getMessage());
                }
            }
        }

        boolean bundlePresent = false;
        String attestation = null;
        List<Descriptor> referrers;
        try {
            referrers = client.referrers(image.registry(), image.repository(), digest, null);
        } catch (RegistryException e) {
            if (e.isTransient()) {
                throw e;
            }
            // e.g. the fallback tag holds something else: no usable referrers, the reason is kept
            referrers = List.of();
            reasons.add("referrers: " + e.getMessage());
        }
        int tried = 0;
        for (Descriptor referrer : referrers) {
            String type = referrer.artifactType() == null ? "" : referrer.artifactType();
            if (!type.startsWith(BUNDLE_PREFIX)) {
                continue;
            }
            if (attached.size() < 4 * MAX_CANDIDATES) {
                attached.add(referrer.digest());
            }
            if (++tried > MAX_CANDIDATES) {
                reasons.add("bundle referrers after the first " + MAX_CANDIDATES + " are not tried");
                break;
            }
            candidates++;
            String where = "bundle " + referrer.digest().toString().substring(0, 19);
            try {
                SigstoreVerifier.Verified v = verifyBundleReferrer(image, referrer, digest, policy);
                String predicate = v.predicateType();
                if (v.payload() != null && predicate == null) {
                    throw new SigstoreException("subject", "a DSSE envelope without an in-toto predicateType");
                }
                if (predicate != null && !COSIGN_SIGN_PREDICATE.equals(predicate)) {
                    if (attestation == null) {
                        attestation = predicate;
                    }
                    candidates--; // an attestation, not a signature
                    continue;
                }
                bundlePresent = true;
                if (accepted == null) {
                    accepted = v;
                    source = where;
                    signatureManifest = referrer.digest();
                }
            } catch (SigstoreException e) {
                reasons.add(where + ": " + e.getMessage());
                lastCheck = e.check();
            } catch (RegistryException e) {
                if (e.isTransient()) {
                    throw e;
                }
                reasons.add(where + ": " + e.getMessage());
            }
        }

        if (accepted != null) {
            attached.remove(signatureManifest);
            return new Result(accepted, source, signatureManifest, bundlePresent, attestation, List.copyOf(attached));
        }
        if (candidates == 0 && reasons.isEmpty()) {
            throw new SigstoreException(
                    "missing",
                    "no signature for " + digest + " (no " + sigRef.tag()
                            + " manifest and no Sigstore bundle referrer)");
        }
        if (reasons.isEmpty()) {
            reasons.add("the signature manifest " + sigRef.tag() + " holds no signatures");
        }
        String check = reasons.size() == 1 && lastCheck != null ? lastCheck : "invalid";
        throw new SigstoreException(check, "no signature satisfies the policy: " + String.join("; ", reasons));
    }

    private SigstoreVerifier.Verified verifyLegacyLayer(
            OciRef sigRef, Descriptor layer, Digest digest, SignerPolicy policy) {
        if (!MediaTypes.COSIGN_SIMPLESIGNING.equals(layer.mediaType())) {
            throw new SigstoreException("signature", "unsupported media type " + layer.mediaType());
        }
        String signature = layer.annotations().get(SimpleSigning.SIGNATURE_ANNOTATION);
        if (signature == null) {
            throw new SigstoreException("signature", "no " + SimpleSigning.SIGNATURE_ANNOTATION + " annotation");
        }
        byte[] payload = fetch(sigRef, layer);
        Digest signed;
        try {
            signed = SimpleSigning.signedDigest(payload);
        } catch (IllegalArgumentException e) {
            throw new SigstoreException("subject", e.getMessage());
        }
        SigstoreVerifier.Verified v = verifier.verifyCosignLegacy(
                payload,
                signature,
                layer.annotations().get(SimpleSigning.CERTIFICATE_ANNOTATION),
                layer.annotations().get(SimpleSigning.CHAIN_ANNOTATION),
                layer.annotations().get(SimpleSigning.BUNDLE_ANNOTATION),
                policy);
        if (!signed.equals(digest)) {
            throw new SigstoreException("subject", "signs " + signed + ", not the manifest " + digest);
        }
        return v;
    }

    private SigstoreVerifier.Verified verifyBundleReferrer(
            OciRef image, Descriptor referrer, Digest digest, SignerPolicy policy) {
        Manifest manifest = client.getManifest(image.withDigest(referrer.digest()));
        if (manifest.subject() != null && !digest.equals(manifest.subject().digest())) {
            throw new SigstoreException(
                    "subject", "the referrer's subject is " + manifest.subject().digest());
        }
        Descriptor layer = manifest.layers().stream()
                .filter(l -> l.mediaType() != null && l.mediaType().startsWith(BUNDLE_PREFIX))
                .findFirst()
                .orElseThrow(() -> new SigstoreException("bundle", "the referrer has no Sigstore bundle layer"));
        byte[] json = fetch(image, layer);
        return verifier.verifyBundle(
                new String(json, StandardCharsets.UTF_8), HexFormat.of().parseHex(digest.hex()), policy);
    }

    private byte[] fetch(OciRef ref, Descriptor layer) {
        if (layer.size() > MAX_SIGNATURE_BYTES) {
            throw new SigstoreException("signature", "a signature blob of " + layer.size() + " bytes is too large");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) layer.size());
        // fetchBlob checks the bytes against the descriptor's digest and size
        client.fetchBlob(ref.registry(), ref.repository(), layer, out, RegistryClient.Progress.NONE);
        return out.toByteArray();
    }
}
