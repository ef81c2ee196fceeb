package dev.powernode.common.oci;

/**
 * A registry call that failed, with a {@link Kind} that tells callers whether retrying can help.
 */
public class RegistryException extends RuntimeException {
    public enum Kind {
        /** 5xx, 429, timeouts, resets, truncated bodies: retry with backoff. */
        TRANSIENT,
        /** 404 for a manifest or blob. */
        NOT_FOUND,
        /** 401/403 even after authenticating. */
        UNAUTHORIZED,
        /** content does not hash to its digest, or has the wrong size. */
        DIGEST_MISMATCH,
        /** the registry answered something we cannot use (bad JSON, unsupported media type, 4xx). */
        INVALID,
        /** the host is not on the allow-list (no SSRF). */
        HOST_NOT_ALLOWED
    }

    private final Kind kind;
    private final int httpStatus;

    public RegistryException(Kind kind, String message) {
        this(kind, message, 0, null);
    }

    public RegistryException(Kind kind, String message, int httpStatus, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.httpStatus = httpStatus;
    }

    public Kind kind() {
        return kind;
    }

    /** The HTTP status that caused it, or 0. */
    public int httpStatus() {
        return httpStatus;
    }

    public boolean isTransient() {
        return kind == Kind.TRANSIENT;
    }
}
