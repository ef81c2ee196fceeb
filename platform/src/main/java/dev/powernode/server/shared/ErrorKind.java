package dev.powernode.server.shared;

/** What went wrong, independent of transport; the API maps each kind to one HTTP status. */
public enum ErrorKind {
    BAD_REQUEST(400),
    UNAUTHORIZED(401),
    FORBIDDEN(403),
    NOT_FOUND(404),
    CONFLICT(409),
    TOO_LARGE(413),
    INVALID(422),
    TOO_MANY_REQUESTS(429),
    /** A service we call (Gitea) refused or failed a request in a way the caller cannot fix by retrying it as is. */
    BAD_GATEWAY(502),
    UNAVAILABLE(503),
    /** Not enough free storage for what the request would write (HTTP 507). */
    INSUFFICIENT_STORAGE(507);

    private final int httpStatus;

    ErrorKind(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }
}
