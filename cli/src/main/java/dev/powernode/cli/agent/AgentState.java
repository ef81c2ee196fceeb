package dev.powernode.cli.agent;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the agent remembers across boots, in {@code persist/powernode/agent/state.json} (written to
 * a temporary file, synced, renamed): which publication each image it knows came from, the images
 * whose trial boot ran out of tries here (not retried while the platform still points at them), and
 * the last report sent per boot (so a restart of the agent does not report twice).
 */
final class AgentState {
    /** The publication an image (composefs digest) came from. */
    record Known(String publicationId, String sha256, String ociRef) {}

    final Map<String, Known> images = new LinkedHashMap<>();
    /** image digest → publication id whose trial failed here */
    final Map<String, String> failed = new LinkedHashMap<>();
    /** "bootId image result" of reports already accepted */
    final Map<String, String> reported = new LinkedHashMap<>();
    /** "bootId image result" of reports not sent yet (publication unknown, platform unreachable) */
    final java.util.Set<String> pending = new java.util.LinkedHashSet<>();

    private final Path file;

    private AgentState(Path file) {
        this.file = file;
    }

    static AgentState load(Path file) {
        AgentState s = new AgentState(file);
        JsonNode root;
        try {
            root = AgentConfig.JSON.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            return s;
        } catch (IOException | JacksonException e) {
            // a state file that cannot be read is rebuilt: it only saves work and duplicate reports
            System.err.println("powernode-agent: " + file + " unreadable (" + e.getMessage() + "); starting afresh");
            return s;
        }
        JsonNode images = root.path("images");
        for (String k : images.propertyNames()) {
            JsonNode v = images.get(k);
            s.images.put(
                    k,
                    new Known(
                            v.path("publication_id").asString(),
                            v.path("sha256").asString(),
                            v.path("oci_ref").asString()));
        }
        JsonNode failed = root.path("failed");
        for (String k : failed.propertyNames()) {
            s.failed.put(k, failed.get(k).asString());
        }
        for (JsonNode p : root.path("pending")) {
            s.pending.add(p.asString());
        }
        JsonNode reported = root.path("reported");
        for (String k : reported.propertyNames()) {
            s.reported.put(k, reported.get(k).asString());
        }
        return s;
    }

    void save() {
        ObjectNode root = AgentConfig.JSON.createObjectNode();
        ObjectNode images = root.putObject("images");
        this.images.forEach((k, v) -> images.putObject(k)
                .put("publication_id", v.publicationId())
                .put("sha256", v.sha256())
                .put("oci_ref", v.ociRef()));
        ObjectNode failed = root.putObject("failed");
        this.failed.forEach(failed::put);
        var pendingArray = root.putArray("pending");
        this.pending.forEach(pendingArray::add);
        ObjectNode reported = root.putObject("reported");
        // the last few only: one boot's reports matter until the next boot
        this.reported.entrySet().stream()
                .skip(Math.max(0, this.reported.size() - 16))
                .forEach(e -> reported.put(e.getKey(), e.getValue()));
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            BootEntries.writeSynced(
                    tmp,
                    new ByteArrayInputStream(
                            AgentConfig.JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8)));
            BootEntries.move(tmp, file);
        } catch (IOException e) {
            throw new AgentException(AgentException.Kind.IO, "cannot write " + file, e);
        }
    }
}
