/**
 * Signature verification against a platform's policy; the only maker of VerifiedArtifact.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"oci", "platform", "shared", "storage"})
package dev.powernode.server.signing;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
