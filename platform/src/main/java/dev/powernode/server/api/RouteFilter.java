package dev.powernode.server.api;

import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * A servlet filter that serves one route prefix ahead of Spring Security and MVC and lets every
 * other request pass untouched: the webhook intake (HMAC-authenticated) and the worker API
 * (worker-token authenticated). What it refuses carries the headers Spring Security would have
 * written, since Spring Security never sees the request.
 */
abstract class RouteFilter extends OncePerRequestFilter {
    private final String prefix;
    private final ProblemWriter problems;

    RouteFilter(String prefix, ProblemWriter problems) {
        this.prefix = prefix;
        this.problems = problems;
    }

    final boolean serves(HttpServletRequest request) {
        return request.getRequestURI().startsWith(prefix);
    }

    @Override
    protected final boolean shouldNotFilter(HttpServletRequest request) {
        return !serves(request);
    }

    final void refuse(HttpServletRequest request, HttpServletResponse response, Problem problem) throws IOException {
        SecurityHeaders.apply(response);
        problems.write(response, problem, request.getRequestURI());
    }
}
