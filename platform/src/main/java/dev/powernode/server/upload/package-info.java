/**
 * Direct uploads (the worker API path without a registry): announce, resumable bytes, expiry.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"ingest", "platform", "publication", "shared", "signing", "storage"})
package dev.powernode.server.upload;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
