package dev.powernode.server.api;

import dev.powernode.server.ci.WorkerRole;
import dev.powernode.server.ci.Workers;
import dev.powernode.server.views.ListResponse;
import dev.powernode.server.views.WorkerView;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
class WorkerController {
    private final Workers workers;

    WorkerController(Workers workers) {
        this.workers = workers;
    }

    /** {@code role} defaults to {@code ci_worker}, the only role there is. */
    @GetMapping("/api/v1/workers")
    ListResponse<WorkerView> list(@RequestParam(required = false) String role) {
        WorkerRole r = role == null || role.isEmpty() ? WorkerRole.CI_WORKER : WorkerRole.parse("role", role);
        return ListResponse.of(workers.list(r).stream().map(WorkerView::of).toList());
    }
}
