/**
 * NodePlatforms: settings, verification policy and the pointer columns of the primary triple.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"shared"})
package dev.powernode.server.platform;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
