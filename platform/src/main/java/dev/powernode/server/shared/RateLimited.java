package dev.powernode.server.shared;

/** A caller over its rate limit: 429, and {@code Retry-After} says when to come back. */
public class RateLimited extends DomainException {
    private final long retryAfterSeconds;

    public RateLimited(String code, String message, long retryAfterSeconds) {
        super(ErrorKind.TOO_MANY_REQUESTS, code, message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
