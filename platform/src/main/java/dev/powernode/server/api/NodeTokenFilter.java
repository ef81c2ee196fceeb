package dev.powernode.server.api;

import dev.powernode.server.node.Node;
import dev.powernode.server.node.Nodes;
import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * Authenticates the node-facing API ({@code /api/v1/system/node_api/**}) by node token ({@code
 * Authorization: Bearer pnn_...}), not by operator JWT. The node is handed to the controller as a
 * request attribute; an unknown, malformed or revoked token is a 401 problem.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 3)
class NodeTokenFilter extends BearerTokenFilter<Node> {
    static final String PREFIX = "/api/v1/system/node_api/";
    static final String NODE = "powernode.node";

    NodeTokenFilter(Nodes nodes, ProblemWriter problems) {
        super(
                PREFIX,
                NODE,
                Problem.of(401, "auth/node-unauthenticated", "a node token is required (Authorization: Bearer pnn_...)")
                        .withHeader("WWW-Authenticate", "Bearer realm=\"powernode-nodes\""),
                nodes::authenticate,
                problems);
    }
}
