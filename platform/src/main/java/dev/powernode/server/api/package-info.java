/**
 * REST adapter: routes, filters, problem+json mapping; calls module facades only, nothing depends on it.
 */
@NullMarked
@ApplicationModule(
        allowedDependencies = {
            "auth",
            "bootstrap",
            "ci",
            "events",
            "gitea",
            "node",
            "platform",
            "provision",
            "publication",
            "retention",
            "shared",
            "upload",
            "views",
            "webhook"
        })
package dev.powernode.server.api;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
