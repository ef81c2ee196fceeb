package dev.powernode.server.provision;

import dev.powernode.server.node.EnrolledNode;
import dev.powernode.server.publication.DiskImagePublication;
import org.jspecify.annotations.Nullable;

/**
 * A node made from a template: its enrolment (token and identity.cfg, shown this once), the
 * publication its disk is made from, the file names to use, and for a qcow2 template the libvirt
 * domain (null for a raw disk).
 */
public record ProvisionedInstance(
        NodeTemplate template,
        EnrolledNode enrolled,
        DiskImagePublication publication,
        String diskFile,
        @Nullable String baseFile,
        @Nullable String domainXml) {}
