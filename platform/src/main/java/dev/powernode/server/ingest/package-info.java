/**
 * Webhook announcement to queued publication (the one-statement intake) and the ingest job that verifies and publishes.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"jobs", "oci", "platform", "publication", "shared", "signing"})
package dev.powernode.server.ingest;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
