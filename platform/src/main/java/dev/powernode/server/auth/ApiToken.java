package dev.powernode.server.auth;

import dev.powernode.common.token.Scope;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A minted API token's record (never the token itself). */
public record ApiToken(
        UUID id,
        String subject,
        List<Scope> scopes,
        String description,
        String createdBy,
        Instant createdAt,
        Instant expiresAt,
        Instant revokedAt) {}
