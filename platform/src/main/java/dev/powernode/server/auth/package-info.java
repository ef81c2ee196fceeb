/**
 * Bearer tokens: HS256 JWT scopes, recorded and revocable tokens, the security filter chain.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"shared"})
package dev.powernode.server.auth;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
