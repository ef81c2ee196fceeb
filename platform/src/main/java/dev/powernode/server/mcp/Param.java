package dev.powernode.server.mcp;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One parameter of a tool: its wire name, JSON type, whether it is required and what it means. The
 * tool's input schema is made from these, and {@link Args} checks a call against the same list, so
 * the schema a client reads is the rule the server applies.
 */
record Param(String name, Type type, boolean required, String description, List<String> allowed) {

    enum Type {
        STRING,
        INTEGER,
        BOOLEAN,
        UUID,
        /** Gitea's numeric ids: a whole number, or a string of digits (the spec writes them quoted). */
        NUMERIC_ID,
        STRING_MAP,
        STRING_LIST
    }

    static Param required(String name, Type type, String description) {
        return new Param(name, type, true, description, List.of());
    }

    static Param optional(String name, Type type, String description) {
        return new Param(name, type, false, description, List.of());
    }

    static Param optionalOneOf(String name, String description, List<String> allowed) {
        return new Param(name, Type.STRING, false, description, allowed);
    }

    Map<String, Object> schema() {
        Map<String, Object> s = new LinkedHashMap<>();
        switch (type) {
            case STRING -> s.put("type", "string");
            case INTEGER -> s.put("type", "integer");
            case BOOLEAN -> s.put("type", "boolean");
            case UUID -> {
                s.put("type", "string");
                s.put("format", "uuid");
            }
            case NUMERIC_ID -> {
                s.put("type", List.of("integer", "string"));
                s.put("pattern", "^[0-9]+$");
                s.put("minimum", 1);
            }
            case STRING_MAP -> {
                s.put("type", "object");
                s.put("additionalProperties", Map.of("type", "string"));
            }
            case STRING_LIST -> {
                s.put("type", "array");
                s.put("items", Map.of("type", "string"));
            }
        }
        if (!allowed.isEmpty()) {
            s.put("enum", allowed);
        }
        s.put("description", description);
        return s;
    }

    /** Null when {@code value} has this parameter's type, else what it must be. */
    @Nullable
    String typeProblem(Object value) {
        boolean ok = switch (type) {
            case STRING -> value instanceof String;
            case UUID -> value instanceof String s && Args.uuidOrNull(s) != null;
            case INTEGER -> value instanceof Integer || value instanceof Long;
            case BOOLEAN -> value instanceof Boolean;
            case NUMERIC_ID -> Args.numericId(value) != null;
            case STRING_MAP ->
                value instanceof Map<?, ?> m && m.values().stream().allMatch(v -> v instanceof String);
            case STRING_LIST -> value instanceof List<?> l && l.stream().allMatch(v -> v instanceof String);
        };
        if (!ok) {
            return switch (type) {
                case STRING -> "must be a string";
                case UUID -> "must be a UUID";
                case INTEGER -> "must be a whole number";
                case BOOLEAN -> "must be true or false";
                case NUMERIC_ID -> "must be a positive whole number";
                case STRING_MAP -> "must be an object whose values are strings";
                case STRING_LIST -> "must be an array of strings";
            };
        }
        if (!allowed.isEmpty() && !allowed.contains(value)) {
            return "must be one of " + String.join(", ", allowed);
        }
        return null;
    }
}
