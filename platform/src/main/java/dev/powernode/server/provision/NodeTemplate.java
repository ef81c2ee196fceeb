package dev.powernode.server.provision;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.time.Instant;
import java.util.UUID;

/**
 * How to make a node of a platform: the disk family it boots ({@code uefi_disk}: a raw disk for
 * metal; {@code qcow2}: an overlay and a libvirt domain), its arch, and for a VM its memory, vCPUs
 * and the host directory its disks live in.
 */
public record NodeTemplate(
        UUID id,
        String name,
        UUID nodePlatformId,
        ArtifactFamily artifactFamily,
        Arch arch,
        int memoryMib,
        int vcpus,
        String imageDir,
        String createdBy,
        Instant createdAt) {}
