package dev.powernode.server.bootstrap;

import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/** What the last bootstrap of a label did; {@code complete} false: it stopped at {@code error}. */
public record CiBootstrapRecord(
        String label,
        String owner,
        String repo,
        UUID webhookId,
        UUID workerId,
        @Nullable UUID readTokenId,
        List<String> secretsSet,
        boolean complete,
        @Nullable String error,
        String bootstrappedBy,
        Instant bootstrappedAt) {}
