package dev.powernode.server.shared;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one unchecked exception domain code throws. It carries a {@link ErrorKind}, a stable code
 * (e.g. {@code publication/not-found}) that clients can branch on, and for {@link ErrorKind#INVALID}
 * the offending fields. Mapped to RFC 9457 problem+json in one place.
 */
public class DomainException extends RuntimeException {
    private final ErrorKind kind;
    private final String code;
    private final List<FieldError> fieldErrors;
    private final Map<String, Object> extensions = new LinkedHashMap<>();

    public DomainException(ErrorKind kind, String code, String message) {
        this(kind, code, message, List.of());
    }

    public DomainException(ErrorKind kind, String code, String message, List<FieldError> fieldErrors) {
        super(message);
        this.kind = kind;
        this.code = code;
        this.fieldErrors = List.copyOf(fieldErrors);
    }

    public static DomainException notFound(String code, String message) {
        return new DomainException(ErrorKind.NOT_FOUND, code, message);
    }

    public static DomainException conflict(String code, String message) {
        return new DomainException(ErrorKind.CONFLICT, code, message);
    }

    public static DomainException invalid(String field, String message) {
        return new DomainException(
                ErrorKind.INVALID,
                "validation/invalid",
                field + ": " + message,
                List.of(new FieldError(field, message)));
    }

    public ErrorKind kind() {
        return kind;
    }

    public String code() {
        return code;
    }

    public List<FieldError> fieldErrors() {
        return fieldErrors;
    }

    /**
     * Adds a member to the problem document (RFC 9457 extension member), e.g. what a half-done
     * operation did before it failed; {@code name} in snake_case, {@code value} JSON-serialisable.
     */
    public DomainException with(String name, Object value) {
        extensions.put(name, value);
        return this;
    }

    public Map<String, Object> extensions() {
        return Map.copyOf(extensions);
    }
}
