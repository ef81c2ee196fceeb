/**
 * CI workers (role ci_worker): provisioning and their hashed tokens.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"shared"})
package dev.powernode.server.ci;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
