/**
 * Local storage of directly uploaded artifacts.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"shared"})
package dev.powernode.server.storage;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
