package dev.powernode.server.api;

import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.FieldError;
import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
import dev.powernode.server.shared.StrictJson;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
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
 * The one place where errors raised in Spring MVC become HTTP: domain errors by their kind, Spring
 * MVC's own errors as problem+json, malformed JSON as 400, wrongly typed or unknown fields as 422
 * naming the field, anything unexpected as 500 with a request id (the cause is logged, never
 * echoed). Each handler says what the problem is; {@link ProblemWriter} answers it.
 */
@RestControllerAdvice
class ApiExceptionHandler extends ResponseEntityExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(ApiExceptionHandler.class);

    private final ProblemWriter problems;

    ApiExceptionHandler(ProblemWriter problems) {
        this.problems = problems;
    }

    @ExceptionHandler(DomainException.class)
    ResponseEntity<ProblemDetail> domain(DomainException e, HttpServletRequest request) {
        return problems.entity(Problem.of(e), request.getRequestURI());
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ResponseEntity<ProblemDetail> typeMismatch(MethodArgumentTypeMismatchException e, HttpServletRequest request) {
        return problems.entity(
                Problem.invalid(List.of(new FieldError(e.getName(), "has the wrong type"))), request.getRequestURI());
    }

    /** A unique constraint is a conflict (409); any other constraint an invalid change (422). */
    @ExceptionHandler(DataIntegrityViolationException.class)
    ResponseEntity<ProblemDetail> integrity(DataIntegrityViolationException e, HttpServletRequest request) {
        String cause = e.getMostSpecificCause().getMessage();
        Problem problem;
        if (e instanceof DuplicateKeyException) {
            log.info("unique constraint refused a write: {}", cause);
            problem = Problem.of(409, "conflict/duplicate", "the change conflicts with an existing record");
        } else {
            log.warn("database constraint refused a write: {}", cause);
            problem = Problem.of(422, "validation/constraint", "the change violates a data constraint");
        }
        return problems.entity(problem, request.getRequestURI());
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e, HttpServletRequest request) {
        DomainException domain = findCause(e, DomainException.class);
        if (domain != null) {
            return domain(domain, request);
        }
        log.error("unexpected error on {} {}", request.getMethod(), request.getRequestURI(), e);
        return problems.entity(Problem.unexpected(), request.getRequestURI());
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(
            HttpMessageNotReadableException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        return untyped(problems.entity(unreadable(e), path(request)));
    }

    private static Problem unreadable(HttpMessageNotReadableException e) {
        DomainException domain = findCause(e, DomainException.class);
        if (domain != null) {
            return Problem.of(domain);
        }
        JacksonException jackson = findCause(e, JacksonException.class);
        if (findCause(e, StreamReadException.class) != null || jackson == null) {
            boolean missing = e.getRootCause() == null
                    && e.getMessage() != null
                    && e.getMessage().contains("Required request body");
            return Problem.of(
                    400,
                    "request/malformed-json",
                    missing ? "a JSON request body is required" : "the request body is not well-formed JSON");
        }
        StrictJson.ControlCharacterException control = findCause(e, StrictJson.ControlCharacterException.class);
        String message = control != null
                ? control.problem()
                : findCause(e, UnrecognizedPropertyException.class) != null
                        ? "is not a known field"
                        : "has the wrong type or shape";
        return Problem.invalid(List.of(new FieldError(fieldPath(jackson), message)));
    }

    @Override
    protected ResponseEntity<Object> handleExceptionInternal(
            Exception ex, @Nullable Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        String detail = body instanceof ProblemDetail p && p.getDetail() != null ? p.getDetail() : ex.getMessage();
        Problem problem = Problem.of(status.value(), "http/" + status.value(), detail);
        return untyped(problems.entity(headers == null ? problem : problem.withHeaders(headers), path(request)));
    }

    private static String fieldPath(JacksonException e) {
        String joined = e.getPath().stream()
                .map(r -> r.getPropertyName() != null ? r.getPropertyName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining("."))
                .replace(".[", "[");
        return joined.isEmpty() ? "body" : joined;
    }

    private static ResponseEntity<Object> untyped(ResponseEntity<ProblemDetail> answer) {
        return new ResponseEntity<>(answer.getBody(), answer.getHeaders(), answer.getStatusCode());
    }

    private static @Nullable String path(WebRequest request) {
        return request instanceof ServletWebRequest s ? s.getRequest().getRequestURI() : null;
    }

    private static <T extends Throwable> @Nullable T findCause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
