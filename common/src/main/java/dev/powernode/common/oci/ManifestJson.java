package dev.powernode.common.oci;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads manifests, indexes and token responses. Every failure is an {@link IllegalArgumentException}
 * saying which field is wrong; the client turns it into an INVALID error naming the registry.
 */
final class ManifestJson {
    static final JsonMapper JSON = JsonMapper.builder().build();

    private ManifestJson() {}

    static JsonNode tree(byte[] raw) {
        try {
            JsonNode node = JSON.readTree(raw);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            return node;
        } catch (JacksonException e) {
            throw new IllegalArgumentException("not JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * A manifest or index. For an index, {@code config} is null and {@code layers} holds its
     * {@code manifests} entries. {@code headerMediaType} is used when the JSON has no mediaType
     * (it is optional in OCI manifests).
     */
    static Manifest manifest(Digest digest, byte[] raw, String headerMediaType) {
        JsonNode root = tree(raw);
        String mediaType = text(root, "mediaType");
        if (mediaType == null) {
            mediaType = headerMediaType;
        }
        if (mediaType == null) {
            throw new IllegalArgumentException("no mediaType in the manifest or its Content-Type");
        }
        if (root.path("schemaVersion").asInt(0) != 2) {
            throw new IllegalArgumentException("schemaVersion is not 2");
        }
        switch (mediaType) {
            case MediaTypes.OCI_MANIFEST, MediaTypes.DOCKER_MANIFEST -> {
                JsonNode config = root.get("config");
                if (config == null || !config.isObject()) {
                    throw new IllegalArgumentException("manifest has no config descriptor");
                }
                return new Manifest(
                        digest,
                        mediaType,
                        raw,
                        text(root, "artifactType"),
                        descriptor(config, "config"),
                        descriptors(root, "layers"),
                        optionalDescriptor(root, "subject"),
                        annotations(root));
            }
            case MediaTypes.OCI_INDEX -> {
                return new Manifest(
                        digest,
                        mediaType,
                        raw,
                        text(root, "artifactType"),
                        null,
                        descriptors(root, "manifests"),
                        optionalDescriptor(root, "subject"),
                        annotations(root));
            }
            default -> throw new IllegalArgumentException("unsupported manifest media type " + mediaType);
        }
    }

    static List<Descriptor> descriptors(JsonNode root, String field) {
        JsonNode array = root.get(field);
        if (array == null || array.isNull()) {
            return List.of();
        }
        if (!array.isArray()) {
            throw new IllegalArgumentException(field + " is not an array");
        }
        List<Descriptor> result = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            result.add(descriptor(array.get(i), field + "[" + i + "]"));
        }
        return result;
    }

    static Descriptor descriptor(JsonNode node, String where) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(where + " is not an object");
        }
        String mediaType = text(node, "mediaType");
        String digest = text(node, "digest");
        JsonNode size = node.get("size");
        if (mediaType == null || digest == null || size == null || !size.isIntegralNumber()) {
            throw new IllegalArgumentException(where + " needs mediaType, digest and size");
        }
        try {
            return new Descriptor(
                    mediaType, Digest.parse(digest), size.longValue(), annotations(node), text(node, "artifactType"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    private static Descriptor optionalDescriptor(JsonNode root, String field) {
        JsonNode node = root.get(field);
        return node == null || node.isNull() ? null : descriptor(node, field);
    }

    static Map<String, String> annotations(JsonNode node) {
        JsonNode annotations = node.get("annotations");
        if (annotations == null || annotations.isNull()) {
            return Map.of();
        }
        if (!annotations.isObject()) {
            throw new IllegalArgumentException("annotations is not an object");
        }
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : annotations.properties()) {
            if (!e.getValue().isString()) {
                throw new IllegalArgumentException("annotation " + e.getKey() + " is not a string");
            }
            result.put(e.getKey(), e.getValue().stringValue());
        }
        return result;
    }

    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isString()) {
            throw new IllegalArgumentException(field + " is not a string");
        }
        return value.stringValue();
    }
}
