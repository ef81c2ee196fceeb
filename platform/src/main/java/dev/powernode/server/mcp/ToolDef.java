package dev.powernode.server.mcp;

import dev.powernode.common.token.Scope;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One MCP tool: name (the spec's where it has one), what it does, the scope a caller needs (the
 * REST route's), its hints, its parameters, the schema of its result and the facade call that makes
 * it.
 */
record ToolDef(
        String name,
        String title,
        String description,
        Scope scope,
        Hints hints,
        List<Param> params,
        Map<String, Object> outputSchema,
        Handler handler) {

    /** The call itself: the checked arguments and the caller's name (audited as the actor). */
    @FunctionalInterface
    interface Handler {
        Object call(Args args, String actor);
    }

    /**
     * MCP's behaviour hints, set truthfully: read-only tools change nothing; a destructive one can
     * void or remove something (a secret rotated, a pointer moved, an artifact purged); an
     * idempotent one has no further effect when repeated with the same arguments.
     */
    enum Hints {
        READ_ONLY(true, false, true),
        ADDITIVE(false, false, false),
        IDEMPOTENT(false, false, true),
        DESTRUCTIVE(false, true, false),
        DESTRUCTIVE_IDEMPOTENT(false, true, true);

        final boolean readOnly;
        final boolean destructive;
        final boolean idempotent;

        Hints(boolean readOnly, boolean destructive, boolean idempotent) {
            this.readOnly = readOnly;
            this.destructive = destructive;
            this.idempotent = idempotent;
        }
    }

    McpSchema.Tool tool() {
        Map<String, Object> properties = new LinkedHashMap<>();
        params.forEach(p -> properties.put(p.name(), p.schema()));
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("type", "object");
        input.put("properties", properties);
        input.put(
                "required",
                params.stream().filter(Param::required).map(Param::name).toList());
        input.put("additionalProperties", false);
        return McpSchema.Tool.builder()
                .name(name)
                .title(title)
                .description(description + " Needs the " + scope.value() + " scope.")
                .inputSchema(input)
                .outputSchema(outputSchema)
                .annotations(McpSchema.ToolAnnotations.builder()
                        .title(title)
                        .readOnlyHint(hints.readOnly)
                        .destructiveHint(hints.destructive)
                        .idempotentHint(hints.idempotent)
                        .openWorldHint(name.contains("gitea") || name.startsWith("bootstrap"))
                        .build())
                .build();
    }
}
