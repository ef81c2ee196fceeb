/**
 * Pulling an announced artifact from an allowed registry and re-hashing every blob (FetchedArtifact).
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"shared"})
package dev.powernode.server.oci;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
