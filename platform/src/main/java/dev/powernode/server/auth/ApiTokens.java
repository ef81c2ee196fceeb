package dev.powernode.server.auth;

import dev.powernode.common.token.Scope;
import dev.powernode.common.token.TokenMinter;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.KeyMaterial;
import dev.powernode.server.shared.Violations;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * API tokens: minted here (and recorded, so they can be listed and revoked) or offline by the CLI
 * from the signing key. A revoked token is refused on its next request.
 */
@Service
public class ApiTokens {
    private final JdbcClient jdbc;
    private final TokenMinter minter;
    private final Clock clock;

    ApiTokens(JdbcClient jdbc, KeyMaterial keys, Clock clock) {
        this.jdbc = jdbc;
        this.minter = new TokenMinter(keys.jwtKey());
        this.clock = clock;
    }

    @Transactional
    public IssuedToken create(String subject, Set<Scope> scopes, Duration ttl, String description, String createdBy) {
        Violations v = new Violations();
        if (subject == null || subject.isBlank() || subject.length() > 200) {
            v.add("subject", "is required, at most 200 characters");
        }
        if (scopes == null || scopes.isEmpty()) {
            v.add("scopes", "at least one scope is required");
        }
        if (ttl == null || ttl.isNegative() || ttl.isZero() || ttl.compareTo(TokenMinter.MAX_TTL) > 0) {
            v.add("ttl", "must be between 1s and " + TokenMinter.MAX_TTL.toDays() + "d");
        }
        if (description != null && description.length() > 500) {
            v.add("description", "must be at most 500 characters");
        }
        v.throwIfAny();
        Instant now = clock.instant();
        TokenMinter.MintedToken minted = minter.mint(subject, scopes, now, ttl);
        List<Scope> scopeList = scopes.stream().sorted().toList();
        jdbc.sql("""
                insert into api_token (id, subject, scopes, description, created_by, created_at, expires_at)
                values (:id, :subject, :scopes, :description, :createdBy, :createdAt, :expiresAt)
                """)
                .param("id", minted.id())
                .param("subject", subject)
                .param("scopes", scopeList.stream().map(Scope::value).toArray(String[]::new))
                .param("description", description)
                .param("createdBy", createdBy)
                .param("createdAt", Timestamp.from(now))
                .param("expiresAt", Timestamp.from(minted.expiresAt()))
                .update();
        return new IssuedToken(
                new ApiToken(minted.id(), subject, scopeList, description, createdBy, now, minted.expiresAt(), null),
                minted.token());
    }

    @Transactional(readOnly = true)
    public List<ApiToken> list() {
        return jdbc.sql("select * from api_token order by created_at desc, id")
                .query((rs, n) -> new ApiToken(
                        rs.getObject("id", UUID.class),
                        rs.getString("subject"),
                        Arrays.stream((String[]) rs.getArray("scopes").getArray())
                                .map(s -> Scope.parse(s).orElseThrow())
                                .toList(),
                        rs.getString("description"),
                        rs.getString("created_by"),
                        rs.getTimestamp("created_at").toInstant(),
                        rs.getTimestamp("expires_at").toInstant(),
                        rs.getTimestamp("revoked_at") == null
                                ? null
                                : rs.getTimestamp("revoked_at").toInstant()))
                .list();
    }

    /** Revokes a recorded token; revoking twice is a no-op, an unknown id is NOT_FOUND. */
    @Transactional
    public void revoke(UUID id) {
        int rows = jdbc.sql("update api_token set revoked_at = coalesce(revoked_at, :now) where id = :id")
                .param("id", id)
                .param("now", Timestamp.from(clock.instant()))
                .update();
        if (rows == 0) {
            throw DomainException.notFound("api_token/not-found", "no API token '" + id + "'");
        }
    }

    /** True when a token with this jti was recorded and later revoked. */
    @Transactional(readOnly = true)
    boolean isRevoked(UUID jti) {
        return jdbc.sql("select exists (select 1 from api_token where id = :id and revoked_at is not null)")
                .param("id", jti)
                .query(Boolean.class)
                .single();
    }
}
