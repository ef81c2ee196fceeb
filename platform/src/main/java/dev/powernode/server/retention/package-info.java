/**
 * Retention: the plan and the run that deletes artifacts beyond each triple's count, and delivery purges.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"node", "oci", "platform", "publication", "shared", "webhook"})
package dev.powernode.server.retention;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
