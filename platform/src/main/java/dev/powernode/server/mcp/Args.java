package dev.powernode.server.mcp;

import dev.powernode.server.shared.PageRequest;
import dev.powernode.server.shared.Violations;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A tool call's arguments, checked against the tool's {@link Param}s before any facade is called:
 * an unknown name, a missing required one or a wrong type is a 422 naming each field, as the REST
 * routes answer an unknown JSON field.
 */
final class Args {
    private final Map<String, Object> values;

    private Args(Map<String, Object> values) {
        this.values = values;
    }

    static Args check(List<Param> params, @Nullable Map<String, Object> raw) {
        Map<String, Object> given = raw == null ? Map.of() : raw;
        Map<String, Param> byName = params.stream().collect(Collectors.toMap(Param::name, p -> p));
        Violations v = new Violations();
        for (String name : given.keySet()) {
            if (!byName.containsKey(name)) {
                v.add(
                        name,
                        byName.isEmpty()
                                ? "is not a parameter of this tool (it takes none)"
                                : "is not a parameter of this tool (allowed: "
                                        + params.stream().map(Param::name).collect(Collectors.joining(", "))
                                        + ")");
            }
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (Param p : params) {
            Object value = given.get(p.name());
            if (value == null) {
                if (p.required()) {
                    v.add(p.name(), "is required");
                }
                continue;
            }
            String problem = p.typeProblem(value);
            if (problem != null) {
                v.add(p.name(), problem);
            } else {
                values.put(p.name(), value);
            }
        }
        v.throwIfAny();
        return new Args(values);
    }

    /** A required string (checked present by {@link #check}). */
    String text(String name) {
        Object v = values.get(name);
        if (v == null) {
            throw new IllegalStateException("parameter " + name + " is not required by its tool");
        }
        return (String) v;
    }

    @Nullable
    String optText(String name) {
        return (String) values.get(name);
    }

    @Nullable
    Boolean optBool(String name) {
        return (Boolean) values.get(name);
    }

    boolean flag(String name) {
        return Boolean.TRUE.equals(values.get(name));
    }

    int integer(String name, int fallback) {
        Object v = values.get(name);
        if (v == null) {
            return fallback;
        }
        long n = ((Number) v).longValue();
        return n > Integer.MAX_VALUE ? Integer.MAX_VALUE : n < Integer.MIN_VALUE ? Integer.MIN_VALUE : (int) n;
    }

    @Nullable
    Integer optInteger(String name) {
        return values.containsKey(name) ? integer(name, 0) : null;
    }

    UUID uuid(String name) {
        UUID id = uuidOrNull(text(name));
        if (id == null) {
            throw new IllegalStateException(name + " was checked to be a UUID");
        }
        return id;
    }

    @Nullable
    UUID optUuid(String name) {
        return values.containsKey(name) ? uuid(name) : null;
    }

    long numericId(String name) {
        Long id = numericId(values.get(name));
        if (id == null) {
            throw new IllegalStateException(name + " was checked to be a numeric id");
        }
        return id;
    }

    @SuppressWarnings("unchecked")
    @Nullable
    Map<String, String> optStringMap(String name) {
        return (Map<String, String>) values.get(name);
    }

    @SuppressWarnings("unchecked")
    @Nullable
    List<String> optStringList(String name) {
        return (List<String>) values.get(name);
    }

    /** {@code page} and {@code per_page}, as the REST routes read them. */
    PageRequest page() {
        return new PageRequest(integer("page", 1), integer("per_page", PageRequest.DEFAULT_PER_PAGE));
    }

    static @Nullable UUID uuidOrNull(String s) {
        try {
            return s.length() == 36 ? UUID.fromString(s) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static @Nullable Long numericId(@Nullable Object v) {
        if (v instanceof Integer || v instanceof Long) {
            long n = ((Number) v).longValue();
            return n > 0 ? n : null;
        }
        if (v instanceof String s
                && !s.isEmpty()
                && s.length() <= 18
                && s.chars().allMatch(Character::isDigit)) {
            long n = Long.parseLong(s);
            return n > 0 ? n : null;
        }
        return null;
    }
}
