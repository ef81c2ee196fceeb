package dev.powernode.common.oci;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pushes build outputs as one disk-image artifact (docs/ingest.md, The artifact the runner pushes): an OCI manifest
 * with {@code artifactType} {@link MediaTypes#DISK_IMAGE_ARTIFACT}, the empty config, and one layer
 * per file annotated with its title. The first file is the primary artifact.
 */
public final class DiskImageArtifacts {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final byte[] EMPTY_CONFIG = "{}".getBytes(StandardCharsets.US_ASCII);

    private DiskImageArtifacts() {}

    /** One file of an artifact. */
    public record Layer(Path file, String title, String mediaType) {}

    /** What was pushed: the manifest reference (by digest) and its layers in order. */
    public record Pushed(OciRef ref, List<Descriptor> layers, byte[] manifest) {
        public Descriptor primary() {
            return layers.get(0);
        }
    }

    /**
     * Pushes the files, then the manifest by digest, and tags it when {@code tag} is not null.
     * {@code annotations} go on the manifest (e.g. platform, family, arch, git sha).
     */
    public static Pushed push(
            RegistryClient client,
            String registry,
            String repository,
            List<Layer> files,
            Map<String, String> annotations,
            String tag,
            RegistryClient.Progress progress) {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("an artifact needs at least one file");
        }
        List<Descriptor> layers = new ArrayList<>();
        for (Layer f : files) {
            Descriptor d = client.pushBlob(registry, repository, f.file(), f.mediaType(), progress);
            layers.add(new Descriptor(
                    f.mediaType(), d.digest(), d.size(), Map.of("org.opencontainers.image.title", f.title()), null));
        }
        return pushManifest(client, registry, repository, layers, annotations, tag);
    }

    /**
     * Pushes the empty config and the manifest over layers already in the repository (e.g. a blob
     * committed from an upload session), by digest, tagged when {@code tag} is not null.
     */
    public static Pushed pushManifest(
            RegistryClient client,
            String registry,
            String repository,
            List<Descriptor> layers,
            Map<String, String> annotations,
            String tag) {
        Descriptor config = client.pushBlob(registry, repository, EMPTY_CONFIG, MediaTypes.OCI_EMPTY);
        byte[] manifest = manifest(config, layers, annotations);
        Digest digest = client.putManifest(
                OciRef.of(registry, repository, Digest.of(manifest)), MediaTypes.OCI_MANIFEST, manifest);
        if (tag != null) {
            client.putManifest(new OciRef(registry, repository, null, tag), MediaTypes.OCI_MANIFEST, manifest);
        }
        return new Pushed(OciRef.of(registry, repository, digest), List.copyOf(layers), manifest);
    }

    /** The empty config every disk-image manifest names. */
    public static Descriptor emptyConfig() {
        return Descriptor.of(MediaTypes.OCI_EMPTY, Digest.of(EMPTY_CONFIG), EMPTY_CONFIG.length);
    }

    static byte[] manifest(Descriptor config, List<Descriptor> layers, Map<String, String> annotations) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", 2);
        m.put("mediaType", MediaTypes.OCI_MANIFEST);
        m.put("artifactType", MediaTypes.DISK_IMAGE_ARTIFACT);
        m.put("config", descriptor(config));
        m.put("layers", layers.stream().map(DiskImageArtifacts::descriptor).toList());
        if (annotations != null && !annotations.isEmpty()) {
            m.put("annotations", new TreeMap<>(annotations));
        }
        return JSON.writeValueAsString(m).getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, Object> descriptor(Descriptor d) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("mediaType", d.mediaType());
        out.put("digest", d.digest().toString());
        out.put("size", d.size());
        if (!d.annotations().isEmpty()) {
            out.put("annotations", new TreeMap<>(d.annotations()));
        }
        return out;
    }
}
