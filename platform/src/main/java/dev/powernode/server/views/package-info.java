/**
 * The JSON shapes the adapters answer with (REST, MCP, and the web UI's data), made from module
 * records, so that every adapter shows a publication, a platform or a list the same way. Views
 * only: no behaviour, no calls.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"ci", "node", "platform", "publication", "shared", "webhook"})
package dev.powernode.server.views;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
