package dev.powernode.server.platform;

import java.util.UUID;

/**
 * How many published or retired publications a platform keeps per (family, arch) triple
 * ({@code disk_image_retention_count}), with the slug operators know it by.
 */
public record RetentionCount(UUID platformId, String slug, int keep) {}
