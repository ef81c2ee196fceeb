/**
 * Nodes: machines enrolled for one platform's (family, arch) triple, their hashed tokens, the boot
 * reports their agents send, and the fleet's convergence on the current publications.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"platform", "publication", "shared"})
package dev.powernode.server.node;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
