package dev.powernode.server.upload;

import dev.powernode.server.ingest.AnnouncementRules;

/**
 * A runner's announcement of a file it will upload directly (no registry): what it is, its
 * SHA-256 and size (the fields a webhook announces too, checked by the same {@link
 * AnnouncementRules}), and its {@code cosign sign-blob} signature (base64), checked before
 * publishing.
 */
public record DirectUpload(
        String platform,
        String artifactFamily,
        String arch,
        String sha256,
        Long sizeBytes,
        String gitSha,
        String firmwareRef,
        String runId,
        String signature,
        String mediaType)
        implements AnnouncementRules.Fields {}
