package dev.powernode.server.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.springframework.dao.DataIntegrityViolationException;

/**
 * Asserts which database constraint refused a write, by the name PostgreSQL reports for it: a test
 * that only expects "some constraint fired" also passes when the row broke a different rule than
 * the one under test (a missing column value, a bad foreign key in the fixture).
 */
public final class ConstraintViolation {
    private ConstraintViolation() {}

    /** Runs {@code write} and asserts the constraint named {@code constraint} refused it. */
    public static void assertRefusedBy(String constraint, ThrowingCallable write) {
        assertThatThrownBy(write)
                .isInstanceOf(DataIntegrityViolationException.class)
                .satisfies(e -> assertThat(constraintOf(e))
                        .as("the constraint that refused the write (%s)", e.getMessage())
                        .isEqualTo(constraint));
    }

    /** The name of the constraint PostgreSQL reported in the exception's cause chain, or null. */
    public static String constraintOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof PSQLException psql) {
                ServerErrorMessage server = psql.getServerErrorMessage();
                return server == null ? null : server.getConstraint();
            }
        }
        return null;
    }
}
