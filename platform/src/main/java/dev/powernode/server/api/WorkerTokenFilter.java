package dev.powernode.server.api;

import dev.powernode.server.ci.Worker;
import dev.powernode.server.ci.Workers;
import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Authenticates the runner-facing API ({@code /api/v1/system/worker_api/**}) by worker token
 * ({@code Authorization: Bearer pnw_...}), not by operator JWT. The worker is handed to the
 * controller as a request attribute; anything else is a 401 problem.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 3)
class WorkerTokenFilter extends RouteFilter {
    static final String PREFIX = "/api/v1/system/worker_api/";
    static final String WORKER = "powernode.worker";
    private static final Problem UNAUTHENTICATED = Problem.of(
                    401, "auth/worker-unauthenticated", "a worker token is required (Authorization: Bearer pnw_...)")
            .withHeader("WWW-Authenticate", "Bearer realm=\"powernode-workers\"");

    private final Workers workers;

    WorkerTokenFilter(Workers workers, ProblemWriter problems) {
        super(PREFIX, problems);
        this.workers = workers;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        Optional<Worker> worker = header != null && header.startsWith("Bearer ")
                ? workers.authenticate(header.substring(7).strip())
                : Optional.empty();
        if (worker.isEmpty()) {
            refuse(request, response, UNAUTHENTICATED);
            return;
        }
        request.setAttribute(WORKER, worker.get());
        chain.doFilter(request, response);
    }
}
