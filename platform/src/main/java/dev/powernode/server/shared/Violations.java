package dev.powernode.server.shared;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

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

    /**
     * What {@code parse} returns; when it throws an {@link ErrorKind#INVALID} exception (a wire enum
     * that does not parse), null, and its fields are collected with the others.
     */
    public <T> @Nullable T parse(Supplier<T> parse) {
        try {
            return parse.get();
        } catch (DomainException e) {
            if (e.kind() != ErrorKind.INVALID) {
                throw e;
            }
            errors.addAll(e.fieldErrors());
            return null;
        }
    }

    /** The {@link ErrorKind#INVALID} exception naming every collected field, or empty when there are none. */
    public Optional<DomainException> exception() {
        if (errors.isEmpty()) {
            return Optional.empty();
        }
        String summary =
                errors.stream().map(e -> e.field() + ": " + e.message()).collect(Collectors.joining("; "));
        return Optional.of(new DomainException(ErrorKind.INVALID, "validation/invalid", summary, errors));
    }

    /** Throws a {@link ErrorKind#INVALID} exception naming every collected field, if any. */
    public void throwIfAny() {
        Optional<DomainException> e = exception();
        if (e.isPresent()) {
            throw e.get();
        }
    }
}
