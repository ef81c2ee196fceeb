package dev.powernode.common.cosign;

import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Manifest;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.OciRef;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * Attaches a cosign key-pair signature to a manifest in the legacy layout {@code cosign sign --key}
 * writes: an OCI manifest at tag {@code sha256-<hex>.sig} whose layers are simple-signing payloads
 * carrying their signature in an annotation. Signing again appends a layer, as cosign does.
 */
public final class CosignSigner {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private CosignSigner() {}

    /** Signs {@code artifact} (by digest) and returns the reference of the signature manifest. */
    public static OciRef sign(RegistryClient client, OciRef artifact, PrivateKey key) {
        if (artifact.digest() == null) {
            throw new IllegalArgumentException("sign a manifest by digest, not by tag: " + artifact);
        }
        byte[] payload = SimpleSigning.payload(artifact.name(), artifact.digest());
        String signature = SimpleSigning.sign(key, payload);
        return attach(client, artifact, payload, signature);
    }

    /** Attaches an already computed signature of {@code payload} (e.g. made elsewhere, or a bad one in tests). */
    public static OciRef attach(RegistryClient client, OciRef artifact, byte[] payload, String signature) {
        return attach(client, artifact, payload, Map.of(SimpleSigning.SIGNATURE_ANNOTATION, signature));
    }

    /**
     * Attaches a signature layer with its annotations: the signature, and for keyless signatures the
     * certificate, chain and transparency-log bundle ({@link SimpleSigning}'s annotation names).
     */
    public static OciRef attach(
            RegistryClient client, OciRef artifact, byte[] payload, Map<String, String> annotations) {
        String signature = annotations.get(SimpleSigning.SIGNATURE_ANNOTATION);
        if (signature == null) {
            throw new IllegalArgumentException("no " + SimpleSigning.SIGNATURE_ANNOTATION + " annotation");
        }
        String registry = artifact.registry();
        String repository = artifact.repository();
        Descriptor pushed = client.pushBlob(registry, repository, payload, MediaTypes.COSIGN_SIMPLESIGNING);
        Descriptor layer =
                new Descriptor(MediaTypes.COSIGN_SIMPLESIGNING, pushed.digest(), pushed.size(), annotations, null);
        OciRef sigRef = artifact.withTag(artifact.digest().tagPrefix() + ".sig");
        List<Descriptor> layers = new ArrayList<>();
        try {
            Manifest existing = client.getManifest(sigRef);
            for (Descriptor d : existing.layers()) {
                if (!d.digest().equals(layer.digest())
                        || !signature.equals(d.annotations().get(SimpleSigning.SIGNATURE_ANNOTATION))) {
                    layers.add(d);
                }
            }
        } catch (RegistryException e) {
            if (e.kind() != RegistryException.Kind.NOT_FOUND) {
                throw e;
            }
        }
        layers.add(layer);
        byte[] config = config(layers);
        Descriptor configDescriptor = client.pushBlob(registry, repository, config, MediaTypes.OCI_CONFIG);
        byte[] manifest = manifest(configDescriptor, layers);
        client.putManifest(sigRef, MediaTypes.OCI_MANIFEST, manifest);
        return sigRef;
    }

    /** An image config listing the layers as diff_ids, like cosign writes. */
    private static byte[] config(List<Descriptor> layers) {
        Map<String, Object> rootfs = new LinkedHashMap<>();
        rootfs.put("type", "layers");
        rootfs.put("diff_ids", layers.stream().map(d -> d.digest().toString()).toList());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("architecture", "");
        config.put("os", "");
        config.put("config", Map.of());
        config.put("rootfs", rootfs);
        return JSON.writeValueAsString(config).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] manifest(Descriptor config, List<Descriptor> layers) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_MANIFEST);
        m.put("config", descriptor(config));
        m.put("layers", layers.stream().map(CosignSigner::descriptor).toList());
        return JSON.writeValueAsString(m).getBytes(StandardCharsets.UTF_8);
    }

    static Map<String, Object> descriptor(Descriptor d) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mediaType", d.mediaType());
        out.put("size", d.size());
        out.put("digest", d.digest().toString());
        if (!d.annotations().isEmpty()) {
            out.put("annotations", new java.util.TreeMap<>(d.annotations()));
        }
        return out;
    }
}
