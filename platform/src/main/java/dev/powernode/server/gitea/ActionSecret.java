package dev.powernode.server.gitea;

import java.time.Instant;
import org.jspecify.annotations.Nullable;

/** A repository Actions secret's name (Gitea never returns a value). */
public record ActionSecret(
        String name, @Nullable String description, @Nullable Instant createdAt) {}
