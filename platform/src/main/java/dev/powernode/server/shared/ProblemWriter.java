package dev.powernode.server.shared;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one writer of RFC 9457 {@code application/problem+json} answers, so that an error reads the
 * same whether the MVC advice returns it, a servlet filter or the security layer writes it, or
 * Tomcat's error report valve answers for the container: status, content type, the body fields
 * ({@code type}, {@code title}, {@code detail}, {@code instance}, {@code code}, {@code errors},
 * {@code request_id}) and the refusal's headers. The format is documented in
 * docs/architecture.md ("Errors").
 */
@Component
public class ProblemWriter {
    /** MDC key of the per-request correlation id; also returned as {@code X-Request-Id}. */
    public static final String REQUEST_ID = "request_id";

    private final JsonMapper json;

    ProblemWriter(JsonMapper json) {
        this.json = json;
    }

    /** The answer as a Spring MVC response entity, for exception handlers and controllers. */
    public ResponseEntity<ProblemDetail> entity(Problem problem, @Nullable String path) {
        HttpHeaders headers = new HttpHeaders();
        problem.headers().forEach(headers::set);
        headers.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        return new ResponseEntity<>(body(problem, path), headers, problem.status());
    }

    /** The answer written straight to a servlet response, unless something was already sent. */
    public void write(HttpServletResponse response, Problem problem, @Nullable String path) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(problem.status());
        problem.headers().forEach(response::setHeader);
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setCharacterEncoding("UTF-8");
        json.writeValue(response.getOutputStream(), body(problem, path));
    }

    /** The same document as JSON text, for an answer that is not an HTTP response (an MCP tool error). */
    public String document(Problem problem, String instance) {
        return json.writeValueAsString(body(problem, instance));
    }

    static ProblemDetail body(Problem problem, @Nullable String path) {
        ProblemDetail p = ProblemDetail.forStatus(problem.status());
        HttpStatus known = HttpStatus.resolve(problem.status());
        p.setTitle(known != null ? known.getReasonPhrase() : "Error");
        p.setType(URI.create("urn:powernode:problem:" + problem.code()));
        p.setDetail(problem.detail());
        if (path != null) {
            p.setInstance(URI.create(path.replace(" ", "%20")));
        }
        p.setProperty("code", problem.code());
        if (!problem.errors().isEmpty()) {
            p.setProperty(
                    "errors",
                    problem.errors().stream()
                            .map(e -> Map.of("field", e.field(), "message", e.message()))
                            .toList());
        }
        problem.extensions().forEach(p::setProperty);
        String requestId = MDC.get(REQUEST_ID);
        if (requestId != null) {
            p.setProperty(REQUEST_ID, requestId);
        }
        return p;
    }
}
