package dev.powernode.server.api;

import dev.powernode.server.node.Node;
import dev.powernode.server.node.NodeReport;
import dev.powernode.server.node.Nodes;
import dev.powernode.server.node.ReportOutcome;
import dev.powernode.server.publication.DiskImagePublication;
import java.time.Instant;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestAttribute;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** The node-facing API: authenticated by node token (NodeTokenFilter), never by operator JWT. */
@RestController
class NodeApiController {
    private final Nodes nodes;

    NodeApiController(Nodes nodes) {
        this.nodes = nodes;
    }

    record ReportRequest(
            String reportId,
            String publicationId,
            String sha256,
            String result,
            String agentVersion,
            Long uptimeSeconds) {}

    record ReportView(UUID reportId, Instant receivedAt, boolean duplicate) {}

    record CurrentView(
            UUID publicationId,
            String artifactFamily,
            String arch,
            String ociRef,
            String sha256,
            Long sizeBytes,
            String gitSha,
            Instant publishedAt) {
        static CurrentView of(DiskImagePublication p) {
            return new CurrentView(
                    p.id(),
                    p.artifactFamily().value(),
                    p.arch().value(),
                    p.ociRef(),
                    p.sha256(),
                    p.sizeBytes(),
                    p.gitSha(),
                    p.publishedAt());
        }
    }

    /**
     * The publication this node should run (its triple's current one). The ETag is the
     * publication id: an agent polling with {@code If-None-Match} gets 304 until it changes.
     */
    @GetMapping(NodeTokenFilter.PREFIX + "current")
    ResponseEntity<CurrentView> current(
            @RequestAttribute(NodeTokenFilter.NODE) Node node,
            @RequestHeader(name = "If-None-Match", required = false) String ifNoneMatch) {
        DiskImagePublication p = nodes.currentFor(node);
        String etag = "\"" + p.id() + "\"";
        if (etag.equals(ifNoneMatch)) {
            return ResponseEntity.status(HttpStatus.NOT_MODIFIED).eTag(etag).build();
        }
        return ResponseEntity.ok().eTag(etag).body(CurrentView.of(p));
    }

    /** 201 for a new report, 200 for a report id accepted before (a retry); a refusal is a problem. */
    @PostMapping(NodeTokenFilter.PREFIX + "reports")
    ResponseEntity<ReportView> report(
            @RequestBody ReportRequest body, @RequestAttribute(NodeTokenFilter.NODE) Node node) {
        ReportOutcome o = nodes.report(
                node,
                new NodeReport(
                        body.reportId(),
                        body.publicationId(),
                        body.sha256(),
                        body.result(),
                        body.agentVersion(),
                        body.uptimeSeconds()));
        return ResponseEntity.status(o.duplicate() ? HttpStatus.OK : HttpStatus.CREATED)
                .body(new ReportView(o.reportId(), o.receivedAt(), o.duplicate()));
    }
}
