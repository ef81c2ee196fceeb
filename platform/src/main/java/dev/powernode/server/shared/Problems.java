package dev.powernode.server.shared;

import java.net.URI;
import java.util.List;
import java.util.Map;
import org.slf4j.MDC;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * Builds the RFC 9457 problem documents every error of the service is answered with, whether it
 * comes from a controller, the security layer or a servlet filter.
 */
public final class Problems {
    /** MDC key of the per-request correlation id; also returned as {@code X-Request-Id}. */
    public static final String REQUEST_ID = "request_id";

    private Problems() {}

    public static ProblemDetail of(DomainException e, String path) {
        return of(e.kind().httpStatus(), e.code(), e.getMessage(), e.fieldErrors(), path);
    }

    public static ProblemDetail of(int status, String code, String detail, List<FieldError> errors, String path) {
        ProblemDetail p = ProblemDetail.forStatus(status);
        HttpStatus known = HttpStatus.resolve(status);
        p.setTitle(known != null ? known.getReasonPhrase() : "Error");
        p.setType(URI.create("urn:powernode:problem:" + code));
        p.setDetail(detail);
        if (path != null) {
            p.setInstance(URI.create(path.replace(" ", "%20")));
        }
        p.setProperty("code", code);
        if (!errors.isEmpty()) {
            p.setProperty(
                    "errors",
                    errors.stream()
                            .map(e -> Map.of("field", e.field(), "message", e.message()))
                            .toList());
        }
        String requestId = MDC.get(REQUEST_ID);
        if (requestId != null) {
            p.setProperty(REQUEST_ID, requestId);
        }
        return p;
    }
}
