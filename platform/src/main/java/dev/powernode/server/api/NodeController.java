package dev.powernode.server.api;

import dev.powernode.server.node.EnrolledNode;
import dev.powernode.server.node.Nodes;
import dev.powernode.server.node.RollbackPolicy;
import dev.powernode.server.node.RollbackTrip;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.views.ConvergenceView;
import dev.powernode.server.views.ListResponse;
import dev.powernode.server.views.NodeView;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Operators enrol, list and revoke nodes (enrolment and revocation mint or void a credential:
 * system:admin), and read a platform's convergence.
 */
@RestController
class NodeController {
    private final Nodes nodes;
    private final NodePlatforms platforms;

    NodeController(Nodes nodes, NodePlatforms platforms) {
        this.nodes = nodes;
        this.platforms = platforms;
    }

    record EnrolRequest(String platform, String name, String artifactFamily, String arch) {}

    /** The token and identity.cfg are in this response only. */
    record EnrolledView(NodeView node, String token, String identityCfg) {
        static EnrolledView of(EnrolledNode e) {
            return new EnrolledView(NodeView.of(e.node()), e.token(), e.identityCfg());
        }
    }

    @PostMapping("/api/v1/system/nodes")
    ResponseEntity<EnrolledView> enroll(@RequestBody EnrolRequest body, Authentication auth) {
        EnrolledNode e = nodes.enroll(body.platform(), body.name(), body.artifactFamily(), body.arch(), auth.getName());
        return ResponseEntity.status(HttpStatus.CREATED).body(EnrolledView.of(e));
    }

    /** {@code platform}: slug or id; revoked nodes only with {@code include_revoked=true}. */
    @GetMapping("/api/v1/system/nodes")
    ListResponse<NodeView> list(
            @RequestParam(required = false) String platform,
            @RequestParam(name = "include_revoked", required = false) String includeRevoked,
            @RequestParam(required = false) String page,
            @RequestParam(name = "per_page", required = false) String perPage) {
        UUID platformId = platform == null || platform.isEmpty()
                ? null
                : platforms.resolve(platform).id();
        return ListResponse.of(
                nodes.list(platformId, Params.bool("include_revoked", includeRevoked), Params.page(page, perPage)),
                NodeView::of);
    }

    @GetMapping("/api/v1/system/nodes/{id}")
    NodeView show(@PathVariable String id) {
        return NodeView.of(nodes.get(Params.pathId("node/not-found", "node", id)));
    }

    /** The node's token is refused from now on; the record stays (its reports, the audit). */
    @DeleteMapping("/api/v1/system/nodes/{id}")
    NodeView revoke(@PathVariable String id) {
        return NodeView.of(nodes.revoke(Params.pathId("node/not-found", "node", id)));
    }

    record PolicyRequest(Integer failures, Integer window) {}

    record PolicyView(int failures, int window, String updatedBy, Instant updatedAt) {
        static PolicyView of(RollbackPolicy p) {
            return new PolicyView(p.failures(), p.window(), p.updatedBy(), p.updatedAt());
        }
    }

    record TripView(UUID publicationId, UUID targetPublicationId, String reason, Instant trippedAt) {
        static TripView of(RollbackTrip t) {
            return new TripView(t.publicationId(), t.targetPublicationId(), t.reason(), t.trippedAt());
        }
    }

    /** {@code policy} null when auto-rollback is off. */
    record AutoRollbackView(PolicyView policy, List<TripView> trips) {}

    @GetMapping("/api/v1/system/node_platforms/{platform}/auto_rollback")
    AutoRollbackView autoRollback(@PathVariable String platform) {
        return new AutoRollbackView(
                nodes.rollbackPolicy(platform).map(PolicyView::of).orElse(null),
                nodes.rollbackTrips(platform).stream().map(TripView::of).toList());
    }

    /** {@code failures} required; {@code window} keeps the policy's, or 5 nodes for a new one (system:admin). */
    @PutMapping("/api/v1/system/node_platforms/{platform}/auto_rollback")
    AutoRollbackView setAutoRollback(
            @PathVariable String platform, @RequestBody PolicyRequest body, Authentication auth) {
        nodes.setRollbackPolicy(platform, body.failures(), body.window(), auth.getName());
        return autoRollback(platform);
    }

    /** Turns auto-rollback off; its trips stay on record (system:admin). */
    @DeleteMapping("/api/v1/system/node_platforms/{platform}/auto_rollback")
    AutoRollbackView disableAutoRollback(@PathVariable String platform) {
        nodes.disableRollback(platform);
        return autoRollback(platform);
    }

    @GetMapping("/api/v1/system/node_platforms/{platform}/convergence")
    ListResponse<ConvergenceView> convergence(@PathVariable String platform) {
        return ListResponse.of(
                nodes.convergence(platform).stream().map(ConvergenceView::of).toList());
    }
}
