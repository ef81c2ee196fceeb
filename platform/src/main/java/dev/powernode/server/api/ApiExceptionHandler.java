package dev.powernode.server.api;

import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.FieldError;
import dev.powernode.server.shared.Problems;
import dev.powernode.server.shared.StrictJson;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * The one place where errors become HTTP: domain errors by their kind, Spring MVC's own errors as
 * problem+json, malformed JSON as 400, wrongly typed or unknown fields as 422 naming the field,
 * anything unexpected as 500 with a request id (the cause is logged, never echoed).
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    @ExceptionHandler(DomainException.class)
    ResponseEntity<ProblemDetail> domain(DomainException e, HttpServletRequest request) {
        return respond(Problems.of(e, request.getRequestURI()));
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ProblemDetail> typeMismatch(MethodArgumentTypeMismatchException e, HttpServletRequest request) {
        return invalid(e.getName(), "has the wrong type", request);
    }

    @ExceptionHandler(DuplicateKeyException.class)
    ResponseEntity<ProblemDetail> duplicate(DuplicateKeyException e, HttpServletRequest request) {
        log.info(
                "unique constraint refused a write: {}",
                e.getMostSpecificCause().getMessage());
        return respond(Problems.of(
                409, "conflict/duplicate", "the change conflicts with an existing record", List.of(), uri(request)));
    }

    @ExceptionHandler(DataIntegrityViolationException.class)
    ResponseEntity<ProblemDetail> integrity(DataIntegrityViolationException e, HttpServletRequest request) {
        log.warn(
                "database constraint refused a write: {}",
                e.getMostSpecificCause().getMessage());
        return respond(Problems.of(
                422, "validation/constraint", "the change violates a data constraint", List.of(), uri(request)));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e, HttpServletRequest request) {
        DomainException domain = findCause(e, DomainException.class);
        if (domain != null) {
            return domain(domain, request);
        }
        log.error("unexpected error on {} {}", request.getMethod(), request.getRequestURI(), e);
        return respond(Problems.of(
                500,
                "internal",
                "an unexpected error occurred; quote the request_id when reporting it",
                List.of(),
                uri(request)));
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(
            HttpMessageNotReadableException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        String path = path(request);
        DomainException domain = findCause(e, DomainException.class);
        ProblemDetail problem;
        if (domain != null) {
            problem = Problems.of(domain, path);
        } else if (findCause(e, StreamReadException.class) != null || findCause(e, JacksonException.class) == null) {
            problem = Problems.of(
                    400,
                    "request/malformed-json",
                    e.getRootCause() == null
                                    && e.getMessage() != null
                                    && e.getMessage().contains("Required request body")
                            ? "a JSON request body is required"
                            : "the request body is not well-formed JSON",
                    List.of(),
                    path);
        } else {
            JacksonException jackson = findCause(e, JacksonException.class);
            String field = fieldPath(jackson);
            StrictJson.ControlCharacterException control = findCause(e, StrictJson.ControlCharacterException.class);
            String message = control != null
                    ? control.problem()
                    : findCause(e, UnrecognizedPropertyException.class) != null
                            ? "is not a known field"
                            : "has the wrong type or shape";
            problem = Problems.of(
                    422, "validation/invalid", field + ": " + message, List.of(new FieldError(field, message)), path);
        }
        return new ResponseEntity<>(problem, problemHeaders(), problem.getStatus());
    }

    @Override
    protected ResponseEntity<Object> handleExceptionInternal(
            Exception ex, Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        String detail = body instanceof ProblemDetail p && p.getDetail() != null ? p.getDetail() : ex.getMessage();
        ProblemDetail problem = Problems.of(status.value(), "http/" + status.value(), detail, List.of(), path(request));
        HttpHeaders merged = new HttpHeaders();
        if (headers != null) {
            merged.putAll(headers);
        }
        merged.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return new ResponseEntity<>(problem, merged, status);
    }

    static String fieldPath(JacksonException e) {
        String joined = e.getPath().stream()
                .map(r -> r.getPropertyName() != null ? r.getPropertyName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."))
                .replace(".[", "[");
        return joined.isEmpty() ? "body" : joined;
    }

    private ResponseEntity<ProblemDetail> invalid(String field, String message, HttpServletRequest request) {
        return respond(Problems.of(
                422,
                "validation/invalid",
                field + ": " + message,
                List.of(new FieldError(field, message)),
                uri(request)));
    }

    private static ResponseEntity<ProblemDetail> respond(ProblemDetail problem) {
        return ResponseEntity.status(problem.getStatus())
                .headers(problemHeaders())
                .body(problem);
    }

    private static HttpHeaders problemHeaders() {
        HttpHeaders h = new HttpHeaders();
        h.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return h;
    }

    private static String uri(HttpServletRequest request) {
        return request.getRequestURI();
    }

    private static String path(WebRequest request) {
        return request instanceof ServletWebRequest s ? s.getRequest().getRequestURI() : null;
    }

    static <T extends Throwable> T findCause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
