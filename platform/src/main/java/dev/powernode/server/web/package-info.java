/**
 * Web UI adapter at {@code /ui}: server-rendered pages (Thymeleaf) on the same facades and views as
 * the REST and MCP adapters, with the same scopes; a login exchanges an operator token for a
 * session cookie holding a recorded, revocable session token. Nothing depends on it.
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
            "publication",
            "retention",
            "shared",
            "views",
            "webhook"
        })
package dev.powernode.server.web;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
