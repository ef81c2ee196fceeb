/**
 * Outbound CloudEvents: subscriptions, the outbox and its HMAC-signed deliveries.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"shared"})
package dev.powernode.server.events;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
