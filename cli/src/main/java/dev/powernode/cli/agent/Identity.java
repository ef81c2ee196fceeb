package dev.powernode.cli.agent;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The node's {@code identity.cfg} (written by {@code powernode nodes enroll}, copied by the
 * initramfs from BOOT to {@code /run/powernode/identity}): who the node is and how it reaches its
 * platform. The token is the node's secret; {@link #toString()} leaves it out.
 */
public record Identity(
        String deviceId, String nodeName, String platform, String family, String arch, URI platformUrl, String token) {
    private static final List<String> REQUIRED =
            List.of("device_id", "platform", "artifact_family", "arch", "platform_url", "token");

    /** Reads {@code file}; every missing or bad field is named in one {@link AgentException} (CONFIG). */
    public static Identity read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new AgentException(
                    AgentException.Kind.CONFIG,
                    "cannot read the node identity " + file + " (" + e.getMessage()
                            + "); is identity.cfg on the BOOT partition? (powernode nodes enroll, buildkit/identity.sh)");
        }
        return parse(text, file.toString());
    }

    static Identity parse(String text, String where) {
        Map<String, String> values = new LinkedHashMap<>();
        for (String raw : text.split("\n", -1)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new AgentException(AgentException.Kind.CONFIG, where + ": not key=value: " + line);
            }
            values.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
        }
        List<String> missing = REQUIRED.stream()
                .filter(k -> values.getOrDefault(k, "").isEmpty())
                .toList();
        if (!missing.isEmpty()) {
            throw new AgentException(AgentException.Kind.CONFIG, where + ": missing " + String.join(", ", missing));
        }
        URI url;
        try {
            url = URI.create(values.get("platform_url"));
        } catch (IllegalArgumentException e) {
            throw new AgentException(AgentException.Kind.CONFIG, where + ": platform_url is not a URL");
        }
        if (!"http".equals(url.getScheme()) && !"https".equals(url.getScheme())) {
            throw new AgentException(AgentException.Kind.CONFIG, where + ": platform_url must be http(s)://");
        }
        return new Identity(
                values.get("device_id"),
                values.getOrDefault("node_name", values.get("device_id")),
                values.get("platform"),
                values.get("artifact_family"),
                values.get("arch"),
                url,
                values.get("token"));
    }

    /** This identity with another platform URL (the agent config's {@code platform_url} override). */
    Identity withPlatformUrl(URI url) {
        return new Identity(deviceId, nodeName, platform, family, arch, url, token);
    }

    @Override
    public String toString() {
        return "Identity[" + nodeName + " (" + deviceId + ") of " + platform + " " + family + "/" + arch + " at "
                + platformUrl + "]";
    }
}
