package dev.powernode.server.api;

import dev.powernode.server.ci.ProvisionedWorker;
import dev.powernode.server.ci.Worker;
import dev.powernode.server.ci.WorkerRole;
import dev.powernode.server.ci.Workers;
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

    private final Workers workers;
    private final DiskImageDirectUploadIngestService uploads;

    WorkerApiController(Workers workers, DiskImageDirectUploadIngestService uploads) {
        this.workers = workers;
        this.uploads = uploads;
    }

    record ProvisionRequest(String label, String role) {}

    record ProvisionedView(UUID workerId, String label, String token, boolean rotated) {}

    /** {@code provision_ci_worker}: idempotent on label; a new token every call (shown once). */
    @PostMapping("/api/v1/workers")
    ResponseEntity<ProvisionedView> provision(@RequestBody ProvisionRequest body) {
        WorkerRole role = body.role() == null ? WorkerRole.CI_WORKER : WorkerRole.parse("role", body.role());
        ProvisionedWorker w = workers.provision(role, body.label());
        return ResponseEntity.status(w.rotated() ? HttpStatus.OK : HttpStatus.CREATED)
                .body(new ProvisionedView(w.workerId(), w.label(), w.token(), w.rotated()));
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
