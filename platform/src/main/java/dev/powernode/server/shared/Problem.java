package dev.powernode.server.shared;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;

/**
 * What an error answer says, before {@link ProblemWriter} renders it: the HTTP status, the stable
 * code clients branch on, the human detail, the offending fields, and the headers the refusal
 * carries ({@code Retry-After}, {@code WWW-Authenticate}, {@code Allow}). The format is in
 * docs/architecture.md ("Errors") and docs/api.md.
 */
public record Problem(
        int status,
        String code,
        String detail,
        List<FieldError> errors,
        Map<String, String> headers,
        Map<String, Object> extensions) {
    /** The detail of every 500: the cause is logged under the request id, never echoed. */
    public static final String UNEXPECTED = "an unexpected error occurred; quote the request_id when reporting it";

    public Problem {
        errors = List.copyOf(errors);
        headers = Map.copyOf(headers);
        extensions = Map.copyOf(extensions);
    }

    public static Problem of(int status, String code, String detail) {
        return new Problem(status, code, detail, List.of(), Map.of(), Map.of());
    }

    /** A domain error by its kind; a {@link RateLimited} one says when to come back. */
    public static Problem of(DomainException e) {
        Map<String, String> headers = e instanceof RateLimited limited
                ? Map.of("Retry-After", Long.toString(limited.retryAfterSeconds()))
                : Map.of();
        return new Problem(e.kind().httpStatus(), e.code(), e.getMessage(), e.fieldErrors(), headers, e.extensions());
    }

    /** 422 naming the fields, with the first one's message as the detail. */
    public static Problem invalid(List<FieldError> errors) {
        FieldError first = errors.get(0);
        return new Problem(
                422, "validation/invalid", first.field() + ": " + first.message(), errors, Map.of(), Map.of());
    }

    /** Anything unexpected: a 500 whose cause the caller logs. */
    public static Problem unexpected() {
        return of(500, "internal", UNEXPECTED);
    }

    /** A bare status raised outside our code (the container, Spring MVC): {@code http/NNN}, or internal. */
    public static Problem ofStatus(int status) {
        if (status >= 500) {
            return unexpected();
        }
        HttpStatus known = HttpStatus.resolve(status);
        return of(status, "http/" + status, known != null ? known.getReasonPhrase() : "error");
    }

    public Problem withDetail(String detail) {
        return new Problem(status, code, detail, errors, headers, extensions);
    }

    public Problem withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new Problem(status, code, detail, errors, more, extensions);
    }

    /** Adds headers Spring chose for the error (e.g. {@code Allow} on a 405), one value each. */
    public Problem withHeaders(HttpHeaders spring) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        spring.forEach((name, values) -> {
            if (!HttpHeaders.CONTENT_TYPE.equalsIgnoreCase(name)) {
                more.put(name, String.join(", ", values));
            }
        });
        return new Problem(status, code, detail, errors, more, extensions);
    }
}
