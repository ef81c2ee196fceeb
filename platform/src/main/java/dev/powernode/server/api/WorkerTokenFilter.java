package dev.powernode.server.api;

import dev.powernode.server.ci.Worker;
import dev.powernode.server.ci.Workers;
import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
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
class WorkerTokenFilter extends BearerTokenFilter<Worker> {
    static final String PREFIX = "/api/v1/system/worker_api/";
    static final String WORKER = "powernode.worker";

    WorkerTokenFilter(Workers workers, ProblemWriter problems) {
        super(
                PREFIX,
                WORKER,
                Problem.of(
                                401,
                                "auth/worker-unauthenticated",
                                "a worker token is required (Authorization: Bearer pnw_...)")
                        .withHeader("WWW-Authenticate", "Bearer realm=\"powernode-workers\""),
                workers::authenticate,
                problems);
    }
}
