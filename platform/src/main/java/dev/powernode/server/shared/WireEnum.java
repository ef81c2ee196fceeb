package dev.powernode.server.shared;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Parses the snake_case wire values of our enums with an error that lists what is allowed. */
public final class WireEnum {
    private WireEnum() {}

    public interface Valued {
        String value();
    }

    public static <E extends Enum<E> & Valued> E parse(Class<E> type, String field, String value) {
        for (E e : type.getEnumConstants()) {
            if (e.value().equals(value)) {
                return e;
            }
        }
        throw DomainException.invalid(field, "must be one of " + allowed(type) + ", got '" + value + "'");
    }

    public static <E extends Enum<E> & Valued> String allowed(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(Valued::value).collect(Collectors.joining(", "));
    }
}
