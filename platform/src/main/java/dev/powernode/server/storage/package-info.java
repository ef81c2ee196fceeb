/**
 * Storage of directly uploaded artifacts: registry upload sessions any replica continues, and the
 * files of uploads published before they went to the registry.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"oci", "shared"})
package dev.powernode.server.storage;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
