package dev.powernode.server.mcp;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import tools.jackson.databind.PropertyNamingStrategies;

/**
 * A tool's {@code outputSchema}, made from the record its result is serialized from: every
 * component is a required property under its snake_case wire name (the service's Jackson naming;
 * nulls are written, never left out), primitives are never null, everything else may be. The SDK
 * validates each result against it, so a view and its schema cannot drift apart unnoticed.
 */
final class OutputSchemas {
    private static final PropertyNamingStrategies.NamingBase NAMES =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    private OutputSchemas() {}

    /** The schema of a record type. */
    static Map<String, Object> of(Class<?> record) {
        return object(record, false);
    }

    /** The list envelope ({@code data}, {@code meta}) of {@code item} records. */
    static Map<String, Object> listOf(Class<?> item) {
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("type", "object");
        meta.put(
                "properties",
                Map.of(
                        "page", Map.of("type", "integer"),
                        "per_page", Map.of("type", "integer"),
                        "total", Map.of("type", "integer")));
        meta.put("required", List.of("page", "per_page", "total"));
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", "object");
        s.put("properties", Map.of("data", Map.of("type", "array", "items", object(item, false)), "meta", meta));
        s.put("required", List.of("data", "meta"));
        return s;
    }

    private static Map<String, Object> object(Class<?> type, boolean nullable) {
        if (!type.isRecord()) {
            throw new IllegalArgumentException(type + " is not a record");
        }
        Map<String, Object> properties = new LinkedHashMap<>();
        List<String> required = new ArrayList<>();
        for (RecordComponent c : type.getRecordComponents()) {
            String name = NAMES.nameForField(null, null, c.getName());
            properties.put(name, schema(c.getGenericType(), !c.getType().isPrimitive()));
            required.add(name);
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("type", nullable ? List.of("object", "null") : "object");
        s.put("properties", properties);
        s.put("required", required);
        return s;
    }

    private static Map<String, Object> schema(Type t, boolean nullable) {
        if (t instanceof ParameterizedType p) {
            Class<?> raw = (Class<?>) p.getRawType();
            if (List.class.isAssignableFrom(raw)) {
                return Map.of("type", type("array", nullable), "items", schema(p.getActualTypeArguments()[0], false));
            }
            if (Map.class.isAssignableFrom(raw)) {
                Type value = p.getActualTypeArguments()[1];
                return value == Object.class
                        ? Map.of("type", type("object", nullable))
                        : Map.of("type", type("object", nullable), "additionalProperties", schema(value, false));
            }
            throw new IllegalArgumentException("no schema for " + t);
        }
        Class<?> c = (Class<?>) t;
        if (c == String.class || c.isEnum()) {
            return Map.of("type", type("string", nullable));
        }
        if (c == UUID.class) {
            return Map.of("type", type("string", nullable), "format", "uuid");
        }
        if (c == Instant.class) {
            return Map.of("type", type("string", nullable), "format", "date-time");
        }
        if (c == int.class || c == long.class || c == Integer.class || c == Long.class) {
            return Map.of("type", type("integer", nullable));
        }
        if (c == double.class || c == Double.class) {
            return Map.of("type", type("number", nullable));
        }
        if (c == boolean.class || c == Boolean.class) {
            return Map.of("type", type("boolean", nullable));
        }
        if (c.isRecord()) {
            return object(c, nullable);
        }
        throw new IllegalArgumentException("no schema for " + c);
    }

    private static Object type(String name, boolean nullable) {
        return nullable ? List.of(name, "null") : name;
    }
}
