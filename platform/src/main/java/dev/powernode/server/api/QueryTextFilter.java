package dev.powernode.server.api;

import dev.powernode.server.shared.FieldError;
import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
import dev.powernode.server.shared.Text;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Query parameters follow the same control-character rule as JSON strings (a {@code %00} in a
 * filter used to reach PostgreSQL and come back as a 500): 422 naming each parameter. Reads the
 * query string only, never a form body (the webhook needs its raw body untouched).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
class QueryTextFilter extends OncePerRequestFilter {
    private final ProblemWriter problems;

    QueryTextFilter(ProblemWriter problems) {
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String query = request.getQueryString();
        List<FieldError> errors = query == null ? List.of() : problemsIn(query);
        if (errors.isEmpty()) {
            chain.doFilter(request, response);
            return;
        }
        // answered before Spring Security's header writer runs
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Cache-Control", "no-store");
        problems.write(response, Problem.invalid(errors), request.getRequestURI());
    }

    static List<FieldError> problemsIn(String query) {
        List<FieldError> errors = new ArrayList<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            String name;
            String value;
            try {
                name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                continue; // malformed escapes are the container's and the binder's business
            }
            String nameProblem = Text.controlCharacterProblem(name, false);
            if (nameProblem != null) {
                errors.add(new FieldError("query", "a parameter name " + nameProblem));
                continue;
            }
            String problem = Text.controlCharacterProblem(value, false);
            if (problem != null) {
                errors.add(new FieldError(name, problem));
            }
        }
        return errors;
    }
}
