package dev.powernode.server.ci;

import java.util.UUID;

/** A worker and its token, shown once. */
public record ProvisionedWorker(UUID workerId, String label, String token, boolean rotated) {}
