/**
 * Kernel shared by every module: error kinds and problem documents, ids, paging, wire enums, service-wide settings and keys.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {})
package dev.powernode.server.shared;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
