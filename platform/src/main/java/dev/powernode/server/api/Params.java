package dev.powernode.server.api;

import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.PageRequest;
import java.util.UUID;

/** Query and path parameter parsing with errors that name the parameter. */
final class Params {
    private Params() {}

    static PageRequest page(String page, String perPage) {
        return new PageRequest(integer("page", page, 1), integer("per_page", perPage, PageRequest.DEFAULT_PER_PAGE));
    }

    static int integer(String name, String value, int fallback) {
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw DomainException.invalid(name, "must be an integer, got '" + value + "'");
        }
    }

    static boolean bool(String name, String value) {
        if (value == null || value.isEmpty()) {
            return false;
        }
        return switch (value) {
            case "true", "1" -> true;
            case "false", "0" -> false;
            default -> throw DomainException.invalid(name, "must be true or false, got '" + value + "'");
        };
    }

    static UUID uuid(String name, String value) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw DomainException.invalid(name, "must be a UUID, got '" + value + "'");
        }
    }

    /** A path id that is not a UUID names nothing: NOT_FOUND, not a validation error. */
    static UUID pathId(String code, String what, String value) {
        try {
            if (value.length() == 36) {
                return UUID.fromString(value);
            }
        } catch (IllegalArgumentException e) {
            // fall through
        }
        throw DomainException.notFound(code, "no " + what + " '" + value + "'");
    }
}
