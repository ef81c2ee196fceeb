/**
 * DiskImageWebhooks: provisioning, secrets, the HMAC-checked receiver, deliveries.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"ingest", "oci", "platform", "publication", "shared"})
package dev.powernode.server.webhook;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
