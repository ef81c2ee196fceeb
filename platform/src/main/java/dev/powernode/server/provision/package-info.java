/**
 * Provisioning: templates (a platform's family/arch plus boot settings) and instances made from
 * them, each a newly enrolled node with the platform's current disk personalised for it, the
 * identity written into BOOT's slot while the raw disk streams or into a small qcow2 overlay.
 */
@NullMarked
@ApplicationModule(allowedDependencies = {"node", "oci", "platform", "publication", "shared", "storage"})
package dev.powernode.server.provision;

import org.jspecify.annotations.NullMarked;
import org.springframework.modulith.ApplicationModule;
