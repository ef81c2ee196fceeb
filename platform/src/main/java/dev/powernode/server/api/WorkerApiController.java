package dev.powernode.server.api;

import dev.powernode.server.bootstrap.CiBootstrap;
import dev.powernode.server.bootstrap.CiWorkerRequest;
import dev.powernode.server.bootstrap.ProvisionedCiWorker;
import dev.powernode.server.ci.Worker;
import dev.powernode.server.ci.WorkerRole;
import dev.powernode.server.publication.DiskImagePublication;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.upload.DirectUpload;
import dev.powernode.server.upload.DiskImageDirectUploadIngestService;
import dev.powernode.server.upload.UploadState;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** Worker provisioning (operators) and the runner-facing direct-upload API (worker tokens). */
@RestController
class WorkerApiController {
    static final String BASE = "/api/v1/system/worker_api/disk_image_publications";

    private final CiBootstrap bootstrap;
    private final DiskImageDirectUploadIngestService uploads;

    WorkerApiController(CiBootstrap bootstrap, DiskImageDirectUploadIngestService uploads) {
        this.bootstrap = bootstrap;
        this.uploads = uploads;
    }

    /** {@code role}: ci_worker, the only one (optional); the rest is {@link CiWorkerRequest}. */
    record ProvisionRequest(String label, String role, String owner, String repo) {}

    /**
     * {@code provision_ci_worker}: idempotent on label; a new upload token every call, and a Gitea
     * runner registration token ({@code ci_worker_token}) when {@code owner} (and {@code repo}) say
     * where the runner registers. Both shown once.
     */
    @PostMapping("/api/v1/workers")
    ResponseEntity<ProvisionedCiWorker> provision(@RequestBody ProvisionRequest body) {
        if (body.role() != null) {
            WorkerRole.parse("role", body.role());
        }
        ProvisionedCiWorker w =
                bootstrap.provisionCiWorker(new CiWorkerRequest(body.label(), body.owner(), body.repo()));
        return ResponseEntity.status(w.rotated() ? HttpStatus.OK : HttpStatus.CREATED)
                .body(w);
    }

    record UploadView(
            UUID id,
            String status,
            long receivedBytes,
            Long sizeBytes,
            String sha256,
            String uploadUrl,
            String errorMessage,
            boolean active) {
        static UploadView of(UploadState s) {
            DiskImagePublication p = s.publication();
            return new UploadView(
                    p.id(),
                    p.status().value(),
                    s.receivedBytes(),
                    p.sizeBytes(),
                    p.sha256(),
                    BASE + "/" + p.id() + "/content",
                    p.errorMessage(),
                    p.active());
        }
    }

    @PostMapping(BASE)
    ResponseEntity<UploadView> create(
            @RequestBody DirectUpload body, @RequestAttribute(WorkerTokenFilter.WORKER) Worker worker) {
        DiskImagePublication p = uploads.create(worker.id(), worker.label(), body);
        return ResponseEntity.created(URI.create(BASE + "/" + p.id())).body(UploadView.of(new UploadState(p, 0)));
    }

    @GetMapping(BASE + "/{id}")
    UploadView show(@PathVariable String id, @RequestAttribute(WorkerTokenFilter.WORKER) Worker worker) {
        return UploadView.of(uploads.state(worker.id(), Params.pathId("publication/not-found", "direct upload", id)));
    }

    /**
     * The file's bytes. {@code Upload-Offset} (default 0) must equal the bytes received so far, so
     * an interrupted upload resumes where it stopped ({@code GET} tells where that is).
     */
    @PutMapping(BASE + "/{id}/content")
    UploadView content(
            @PathVariable String id,
            @RequestHeader(name = "Upload-Offset", required = false) String offset,
            @RequestAttribute(WorkerTokenFilter.WORKER) Worker worker,
            HttpServletRequest request)
            throws IOException {
        long from;
        try {
            from = offset == null ? 0 : Long.parseLong(offset.strip());
        } catch (NumberFormatException e) {
            throw DomainException.invalid("Upload-Offset", "must be a byte count");
        }
        try (InputStream in = request.getInputStream()) {
            return UploadView.of(
                    uploads.upload(worker.id(), Params.pathId("publication/not-found", "direct upload", id), from, in));
        }
    }
}
