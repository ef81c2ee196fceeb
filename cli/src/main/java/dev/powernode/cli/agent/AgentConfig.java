package dev.powernode.cli.agent;

import dev.powernode.common.cosign.PemKeys;
import dev.powernode.common.sigstore.SignerPolicy;
import dev.powernode.common.sigstore.SigstoreException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The agent's settings, baked into the image by its build_script ({@code
 * /usr/lib/powernode/agent.json}): above all who must have signed an image for this node to boot
 * it. Because the policy travels with the image and not with the platform's answer, a platform that
 * points the node elsewhere can only choose among images these signers signed.
 *
 * <pre>{@code
 * {
 *   "signers": {"identity_regexp": "...", "issuer": "...", "keys": ["-----BEGIN PUBLIC KEY-----..."],
 *               "require_tlog": false},
 *   "trusted_root": "/usr/lib/powernode/trusted_root.json",   (default: the public-good root)
 *   "boot_tries": 3, "poll_seconds": 60, "health_timeout_seconds": 120,
 *   "reboot": "immediate" | "manual" | "window 02:00-04:00",
 *   "reboot_command": ["systemctl", "reboot"],
 *   "fs_verity": true,
 *   "platform_url": "http://10.0.2.100",           (optional: overrides identity.cfg's)
 *   "plain_http_registries": ["10.0.2.101:5000"],
 *   "registry_endpoints": {"127.0.0.1:5000": "10.0.2.101:5000"},
 *   "registry_credentials": {"10.0.2.101:5000": {"username": "node", "password_file": "/etc/powernode/registry-password"}}
 * }
 * }</pre>
 */
public record AgentConfig(
        SignerPolicy signers,
        Path trustedRoot,
        int bootTries,
        Duration poll,
        Duration healthTimeout,
        RebootPolicy reboot,
        List<String> rebootCommand,
        boolean fsVerity,
        URI platformUrl,
        Set<String> plainHttpRegistries,
        Map<String, String> registryEndpoints,
        Map<String, Credentials> registryCredentials) {
    /** Basic credentials for pulling from one registry; the password is read from a file. */
    public record Credentials(String username, Path passwordFile) {}

    static final JsonMapper JSON = JsonMapper.builder().build();

    private static final Set<String> FIELDS = Set.of(
            "signers",
            "trusted_root",
            "boot_tries",
            "poll_seconds",
            "health_timeout_seconds",
            "reboot",
            "reboot_command",
            "fs_verity",
            "platform_url",
            "plain_http_registries",
            "registry_endpoints",
            "registry_credentials");

    /** Reads and checks {@code file}; every problem is a CONFIG {@link AgentException} naming the field. */
    public static AgentConfig read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new AgentException(
                    AgentException.Kind.CONFIG, "cannot read the agent config " + file + ": " + e.getMessage());
        }
        return parse(text, file.toString());
    }

    static AgentConfig parse(String text, String where) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw bad(where, "not JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw bad(where, "must be a JSON object");
        }
        for (String name : root.propertyNames()) {
            if (!FIELDS.contains(name)) {
                throw bad(where, "unknown field \"" + name + "\" (one of " + String.join(", ", FIELDS) + ")");
            }
        }
        SignerPolicy signers = signers(root.get("signers"), where);
        Path trustedRoot = root.hasNonNull("trusted_root") ? Path.of(text(root, "trusted_root", where)) : null;
        int tries = intIn(root, "boot_tries", 3, 1, 9, where);
        Duration poll = Duration.ofSeconds(intIn(root, "poll_seconds", 60, 1, 86_400, where));
        Duration health = Duration.ofSeconds(intIn(root, "health_timeout_seconds", 120, 1, 3_600, where));
        RebootPolicy reboot = root.hasNonNull("reboot")
                ? RebootPolicy.parse(text(root, "reboot", where))
                : RebootPolicy.IMMEDIATE_POLICY;
        List<String> rebootCommand = root.hasNonNull("reboot_command")
                ? strings(root.get("reboot_command"), "reboot_command", where)
                : List.of("systemctl", "reboot");
        if (rebootCommand.isEmpty()) {
            throw bad(where, "reboot_command must name a command");
        }
        boolean verity = true;
        if (root.hasNonNull("fs_verity")) {
            if (!root.get("fs_verity").isBoolean()) {
                throw bad(where, "fs_verity must be true or false");
            }
            verity = root.get("fs_verity").asBoolean();
        }
        URI platformUrl = null;
        if (root.hasNonNull("platform_url")) {
            try {
                platformUrl = URI.create(text(root, "platform_url", where));
            } catch (IllegalArgumentException e) {
                throw bad(where, "platform_url is not a URL");
            }
        }
        Set<String> plain = root.hasNonNull("plain_http_registries")
                ? new LinkedHashSet<>(strings(root.get("plain_http_registries"), "plain_http_registries", where))
                : Set.of();
        Map<String, String> endpoints = new LinkedHashMap<>();
        JsonNode e = root.get("registry_endpoints");
        if (e != null && !e.isNull()) {
            if (!e.isObject()) {
                throw bad(where, "registry_endpoints must map registry host[:port] to the host[:port] to dial");
            }
            for (String name : e.propertyNames()) {
                if (!e.get(name).isString()) {
                    throw bad(where, "registry_endpoints." + name + " must be a host[:port] string");
                }
                endpoints.put(name, e.get(name).asString());
            }
        }
        Map<String, Credentials> credentials = new LinkedHashMap<>();
        JsonNode c = root.get("registry_credentials");
        if (c != null && !c.isNull()) {
            if (!c.isObject()) {
                throw bad(where, "registry_credentials must map registry host[:port] to {username, password_file}");
            }
            for (String name : c.propertyNames()) {
                JsonNode v = c.get(name);
                if (!v.isObject()) {
                    throw bad(where, "registry_credentials." + name + " must be {username, password_file}");
                }
                credentials.put(
                        name, new Credentials(text(v, "username", where), Path.of(text(v, "password_file", where))));
            }
        }
        return new AgentConfig(
                signers,
                trustedRoot,
                tries,
                poll,
                health,
                reboot,
                List.copyOf(rebootCommand),
                verity,
                platformUrl,
                Set.copyOf(plain),
                Map.copyOf(endpoints),
                Map.copyOf(credentials));
    }

    private static SignerPolicy signers(JsonNode s, String where) {
        if (s == null || !s.isObject()) {
            throw bad(
                    where,
                    "\"signers\" is required: who must have signed an image for this node to boot it"
                            + " (identity_regexp + issuer, and/or keys)");
        }
        List<PublicKey> keys = new ArrayList<>();
        if (s.hasNonNull("keys")) {
            int i = 0;
            for (String pem : strings(s.get("keys"), "signers.keys", where)) {
                try {
                    keys.add(PemKeys.publicKey(pem));
                } catch (RuntimeException ex) {
                    throw bad(where, "signers.keys[" + i + "] is not a PEM public key");
                }
                i++;
            }
        }
        Boolean requireTlog = null;
        if (s.hasNonNull("require_tlog")) {
            requireTlog = s.get("require_tlog").asBoolean();
        }
        boolean keyless = s.hasNonNull("identity_regexp") || s.hasNonNull("issuer");
        try {
            if (keyless) {
                if (!s.hasNonNull("identity_regexp") || !s.hasNonNull("issuer")) {
                    throw bad(where, "signers needs both identity_regexp and issuer for keyless signatures");
                }
                return SignerPolicy.identityRegexp(
                                text(s, "identity_regexp", where), text(s, "issuer", where), requireTlog)
                        .withKeys(keys);
            }
            if (keys.isEmpty()) {
                throw bad(where, "signers names no one: give identity_regexp + issuer, or keys");
            }
            return SignerPolicy.keys(keys, requireTlog);
        } catch (SigstoreException ex) {
            throw bad(where, "signers: " + ex.getMessage());
        }
    }

    private static String text(JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isString() || v.asString().isBlank()) {
            throw bad(where, field + " must be a non-empty string");
        }
        return v.asString();
    }

    private static int intIn(JsonNode root, String field, int dflt, int min, int max, String where) {
        JsonNode v = root.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || v.asLong() < min || v.asLong() > max) {
            throw bad(where, field + " must be a whole number from " + min + " to " + max);
        }
        return v.asInt();
    }

    private static List<String> strings(JsonNode v, String field, String where) {
        if (!v.isArray()) {
            throw bad(where, field + " must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : v) {
            if (!item.isString() || item.asString().isBlank()) {
                throw bad(where, field + " must be an array of non-empty strings");
            }
            out.add(item.asString());
        }
        return out;
    }

    private static AgentException bad(String where, String what) {
        return new AgentException(AgentException.Kind.CONFIG, where + ": " + what);
    }
}
