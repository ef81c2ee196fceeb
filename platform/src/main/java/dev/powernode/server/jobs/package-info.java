/**
 * Background jobs: the db-scheduler instance that runs every module's job beans from {@code scheduled_tasks}.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {})
package dev.powernode.server.jobs;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
