package dev.powernode.server.api;

import dev.powernode.server.auth.Scopes;
import dev.powernode.server.platform.NewNodePlatform;
import dev.powernode.server.platform.NodePlatform;
import dev.powernode.server.platform.NodePlatformChanges;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.Violations;
import dev.powernode.server.views.ListResponse;
import dev.powernode.server.views.NodePlatformView;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PatchMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;

@RestController
@RequestMapping("/api/v1/system/node_platforms")
class NodePlatformController {
    private static final String ADMIN = Scopes.ADMIN;
    private static final Set<String> PATCHABLE = Set.of(
            "name",
            "build_script",
            "cosign_identity_regexp",
            "cosign_oidc_issuer",
            "cosign_public_keys",
            "require_tlog",
            "disk_image_retention_count",
            "primary_artifact_family",
            "primary_arch");

    private final NodePlatforms platforms;

    NodePlatformController(NodePlatforms platforms) {
        this.platforms = platforms;
    }

    record CreateRequest(
            String slug,
            String name,
            String buildScript,
            String cosignIdentityRegexp,
            String cosignOidcIssuer,
            List<String> cosignPublicKeys,
            Boolean requireTlog,
            Integer diskImageRetentionCount,
            String primaryArtifactFamily,
            String primaryArch) {

        boolean touchesVerificationPolicy() {
            return cosignIdentityRegexp != null
                    || cosignOidcIssuer != null
                    || cosignPublicKeys != null
                    || requireTlog != null;
        }

        boolean touchesBuildScript() {
            return buildScript != null;
        }
    }

    /**
     * Setting a verification policy or a build_script needs {@code system:admin}, on create as on
     * update.
     */
    @PostMapping
    ResponseEntity<NodePlatformView> create(@RequestBody CreateRequest body, Authentication auth) {
        requireAdminForPolicy(body.touchesVerificationPolicy(), auth);
        requireAdminForBuildScript(body.touchesBuildScript(), auth);
        NodePlatform created = platforms.create(new NewNodePlatform(
                body.slug(),
                body.name(),
                body.buildScript(),
                body.cosignIdentityRegexp(),
                body.cosignOidcIssuer(),
                body.cosignPublicKeys(),
                body.requireTlog(),
                body.diskImageRetentionCount(),
                body.primaryArtifactFamily(),
                body.primaryArch()));
        return ResponseEntity.created(URI.create("/api/v1/system/node_platforms/" + created.id()))
                .body(NodePlatformView.of(created));
    }

    @GetMapping
    ListResponse<NodePlatformView> list(
            @RequestParam(required = false) String page,
            @RequestParam(name = "per_page", required = false) String perPage) {
        return ListResponse.of(platforms.list(Params.page(page, perPage)), NodePlatformView::of);
    }

    /** Accepts the platform's UUID or its slug. */
    @GetMapping("/{id}")
    NodePlatformView show(@PathVariable String id) {
        return NodePlatformView.of(platforms.resolve(id));
    }

    /**
     * JSON merge-patch: absent fields stay, {@code null} clears. Changing the verification policy
     * needs {@code system:admin}: a write token alone must not be able to weaken it; so does the
     * build_script, which the build runners execute as root.
     */
    @PatchMapping("/{id}")
    NodePlatformView patch(@PathVariable String id, @RequestBody JsonNode body, Authentication auth) {
        NodePlatform target = platforms.resolve(id);
        NodePlatformChanges changes = parse(body);
        requireAdminForPolicy(changes.touchesVerificationPolicy(), auth);
        requireAdminForBuildScript(changes.touchesBuildScript(), auth);
        return NodePlatformView.of(platforms.update(target.id(), changes));
    }

    /**
     * The one rule for both create and update: a write token alone must not be able to set or
     * weaken who may sign (docs/signatures.md).
     */
    private static void requireAdminForPolicy(boolean touchesPolicy, Authentication auth) {
        requireAdmin(
                touchesPolicy,
                auth,
                "setting or changing the verification policy (cosign_*, require_tlog) needs the system:admin scope");
    }

    /** The build kit runs a build_script as root on the build runners (buildkit/README.md). */
    private static void requireAdminForBuildScript(boolean touchesBuildScript, Authentication auth) {
        requireAdmin(
                touchesBuildScript,
                auth,
                "setting or changing the build_script needs the system:admin scope: build runners execute it"
                        + " as root");
    }

    private static void requireAdmin(boolean needed, Authentication auth, String detail) {
        if (needed && auth.getAuthorities().stream().noneMatch(a -> ADMIN.equals(a.getAuthority()))) {
            throw new DomainException(ErrorKind.FORBIDDEN, "auth/insufficient-scope", detail);
        }
    }

    static NodePlatformChanges parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw DomainException.invalid("body", "must be a JSON object");
        }
        Violations v = new Violations();
        for (String field : body.propertyNames()) {
            if (!PATCHABLE.contains(field)) {
                v.add(
                        field,
                        "is not a field that can be changed (allowed: " + String.join(", ", sorted(PATCHABLE)) + ")");
            }
        }
        v.throwIfAny();
        Map<String, JsonNode> f = new HashMap<>();
        body.properties().forEach(e -> f.put(e.getKey(), e.getValue()));
        NodePlatformChanges changes = new NodePlatformChanges(
                field(f, v, "name", NodePlatformController::text),
                field(f, v, "build_script", NodePlatformController::text),
                field(f, v, "cosign_identity_regexp", NodePlatformController::text),
                field(f, v, "cosign_oidc_issuer", NodePlatformController::text),
                field(f, v, "cosign_public_keys", NodePlatformController::strings),
                field(f, v, "require_tlog", n -> n.isBoolean() ? n.booleanValue() : null),
                field(
                        f,
                        v,
                        "disk_image_retention_count",
                        n -> n.isIntegralNumber() && n.canConvertToInt() ? n.intValue() : null),
                enumField(f, v, "primary_artifact_family", s -> ArtifactFamily.parse("primary_artifact_family", s)),
                enumField(f, v, "primary_arch", s -> Arch.parse("primary_arch", s)));
        v.throwIfAny();
        return changes;
    }

    private static String text(JsonNode n) {
        return n.isString() ? n.stringValue() : null;
    }

    private static List<String> strings(JsonNode n) {
        if (!n.isArray()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (JsonNode item : n.values()) {
            if (!item.isString()) {
                return null;
            }
            out.add(item.stringValue());
        }
        return out;
    }

    /** Null when absent; empty when JSON null; the converted value, or a violation if it has the wrong type. */
    @SuppressWarnings("OptionalUsedAsFieldOrParameterType")
    private static <T> Optional<T> field(
            Map<String, JsonNode> fields, Violations v, String name, Function<JsonNode, T> convert) {
        if (!fields.containsKey(name)) {
            return null;
        }
        JsonNode node = fields.get(name);
        if (node.isNull()) {
            return Optional.empty();
        }
        T value = convert.apply(node);
        if (value == null) {
            v.add(name, "has the wrong type");
            return null;
        }
        return Optional.of(value);
    }

    private static <T> Optional<T> enumField(
            Map<String, JsonNode> fields, Violations v, String name, Function<String, T> parse) {
        Optional<String> raw = field(fields, v, name, NodePlatformController::text);
        if (raw == null || raw.isEmpty()) {
            return raw == null ? null : Optional.empty();
        }
        try {
            return Optional.of(parse.apply(raw.get()));
        } catch (DomainException e) {
            e.fieldErrors().forEach(fe -> v.add(fe.field(), fe.message()));
            return null;
        }
    }

    private static List<String> sorted(Set<String> s) {
        return s.stream().sorted().toList();
    }
}
