/**
 * MCP adapter: the operator actions of the spec as MCP tools (Streamable HTTP at {@code /mcp},
 * stateless), on the same module facades as the REST routes and answering with the same views, so
 * the two cannot disagree. Nothing depends on it.
 */
@NullMarked
@ApplicationModule(
        allowedDependencies = {
            "auth",
            "bootstrap",
            "ci",
            "gitea",
            "node",
            "platform",
            "publication",
            "retention",
            "shared",
            "views",
            "webhook"
        })
package dev.powernode.server.mcp;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
