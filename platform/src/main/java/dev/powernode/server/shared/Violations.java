package dev.powernode.server.shared;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** Collects every invalid field of an input so the caller hears about all of them at once. */
public final class Violations {
    private final List<FieldError> errors = new ArrayList<>();

    public Violations add(String field, String message) {
        errors.add(new FieldError(field, message));
        return this;
    }

    public boolean isEmpty() {
        return errors.isEmpty();
    }

    /** Throws a {@link ErrorKind#INVALID} exception naming every collected field, if any. */
    public void throwIfAny() {
        if (errors.isEmpty()) {
            return;
        }
        String summary =
                errors.stream().map(e -> e.field() + ": " + e.message()).collect(Collectors.joining("; "));
        throw new DomainException(ErrorKind.INVALID, "validation/invalid", summary, errors);
    }
}
