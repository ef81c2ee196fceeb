package dev.powernode.testkit;

import dev.powernode.common.oci.Descriptor;
import dev.powernode.common.oci.Digest;
import dev.powernode.common.oci.MediaTypes;
import dev.powernode.common.oci.RegistryClient;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tools.jackson.databind.json.JsonMapper;

/** Builds the blobs and manifests the registry tests push. */
final class OciFixtures {
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final byte[] EMPTY_JSON = "{}".getBytes();
    static final String TEST_ARTIFACT = "application/vnd.powernode.test.v1";

    private OciFixtures() {}

    /** Deterministic bytes (seeded), so a failing run can be reproduced. */
    static byte[] bytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static Digest sha256(byte[] bytes) {
        try {
            return Digest.ofSha256(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * An OCI artifact manifest the way we publish them: artifactType, the empty config, layers,
     * optional subject. Distribution 2.8 (Debian's docker-registry) accepts this as an image
     * manifest with the empty config type and octet-stream layers, keeping the bytes as sent; it
     * ignores artifactType and subject (no referrers support) and refuses the manifest with
     * MANIFEST_BLOB_UNKNOWN unless the config and layer blobs are in the repository, so the empty
     * config blob is pushed first.
     */
    static byte[] artifactManifest(String artifactType, List<Descriptor> layers, Descriptor subject, String note) {
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("schemaVersion", 2);
        manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
        manifest.put("artifactType", artifactType);
        manifest.put("config", descriptor(emptyConfig()));
        List<Object> layerList = new ArrayList<>();
        layers.forEach(l -> layerList.add(descriptor(l)));
        manifest.put("layers", layerList);
        if (subject != null) {
            manifest.put("subject", descriptor(subject));
        }
        manifest.put("annotations", Map.of("dev.powernode.test.note", note));
        return JSON.writeValueAsBytes(manifest);
    }

    /** The tag-schema referrers index: an OCI index listing the referrers with their artifactType. */
    static byte[] referrersIndex(List<Descriptor> referrers) {
        List<Object> manifests = new ArrayList<>();
        referrers.forEach(r -> manifests.add(descriptor(r)));
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaTypes.OCI_INDEX);
        index.put("manifests", manifests);
        return JSON.writeValueAsBytes(index);
    }

    static Descriptor emptyConfig() {
        return Descriptor.of(MediaTypes.OCI_EMPTY, sha256(EMPTY_JSON), EMPTY_JSON.length);
    }

    /** Pushes the empty config blob and one layer, returning the layer. */
    static Descriptor pushLayer(RegistryClient client, String registry, String repository, byte[] content) {
        client.pushBlob(registry, repository, EMPTY_JSON, MediaTypes.OCI_EMPTY);
        return client.pushBlob(registry, repository, content, MediaTypes.OCTET_STREAM);
    }

    private static Map<String, Object> descriptor(Descriptor d) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("mediaType", d.mediaType());
        json.put("digest", d.digest().toString());
        json.put("size", d.size());
        if (d.artifactType() != null) {
            json.put("artifactType", d.artifactType());
        }
        if (!d.annotations().isEmpty()) {
            json.put("annotations", d.annotations());
        }
        return json;
    }
}
