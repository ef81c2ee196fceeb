/**
 * DiskImagePublications: lifecycle, promotion and rollback per triple, the audit trail, purge tombstones.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"events", "platform", "shared", "signing"})
package dev.powernode.server.publication;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
