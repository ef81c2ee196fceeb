package dev.powernode.server.api;

import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.retention.RetentionCandidate;
import dev.powernode.server.retention.RetentionPolicy;
import dev.powernode.server.retention.RetentionReport;
import dev.powernode.server.views.ListResponse;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The retention dry run and an on-demand run (the recurring one runs on its own). */
@RestController
class RetentionController {
    private final RetentionPolicy retention;
    private final NodePlatforms platforms;

    RetentionController(RetentionPolicy retention, NodePlatforms platforms) {
        this.retention = retention;
        this.platforms = platforms;
    }

    /** What a run now would purge; {@code platform} (slug or id) narrows it to one platform. */
    @GetMapping("/api/v1/system/retention_plan")
    ListResponse<RetentionCandidate> plan(@RequestParam(required = false) String platform) {
        return ListResponse.of(retention.plan(platformId(platform)));
    }

    /** Runs retention now and reports what it did. */
    @PostMapping("/api/v1/system/retention_runs")
    RetentionReport run(@RequestParam(required = false) String platform) {
        return retention.run(platformId(platform));
    }

    private UUID platformId(String platform) {
        return platform == null || platform.isEmpty()
                ? null
                : platforms.resolve(platform).id();
    }
}
