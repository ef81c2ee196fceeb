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
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
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

    /** How long a login link can be used, once. */
    public static final Duration LOGIN_LINK_TTL = Duration.ofMinutes(5);

    @Transactional
    public IssuedToken create(String subject, Set<Scope> scopes, Duration ttl, String description, String createdBy) {
        return insert(subject, scopes, ttl, description, createdBy, null);
    }

    /**
     * A web UI login link's token: the caller's subject and scopes, usable once within
     * {@link #LOGIN_LINK_TTL} (by {@link #redeemLoginLink}) to open a session that ends at {@code
     * sessionUntil}.
     */
    @Transactional
    public IssuedToken createLoginLink(String subject, Set<Scope> scopes, Instant sessionUntil, String createdBy) {
        Duration left = Duration.between(clock.instant(), sessionUntil);
        if (left.toSeconds() < 60) {
            throw DomainException.invalid("token", "expires within a minute: a login link needs a fresher token");
        }
        Duration ttl = left.compareTo(LOGIN_LINK_TTL) < 0 ? left : LOGIN_LINK_TTL;
        return insert(subject, scopes, ttl, "web UI login link", createdBy, sessionUntil);
    }

    /**
     * Uses up the login link whose token has this jti: when it is one, unused and unexpired, it is
     * revoked now (so a second use is refused) and the end of the session it opens is answered;
     * otherwise empty. One statement: two concurrent uses cannot both succeed.
     */
    @Transactional
    public Optional<Instant> redeemLoginLink(UUID jti) {
        Instant now = clock.instant();
        return jdbc.sql("""
                update api_token set revoked_at = :now
                where id = :id and session_until is not null and revoked_at is null and expires_at > :now
                returning session_until
                """)
                .param("id", jti)
                .param("now", Timestamp.from(now))
                .query(Timestamp.class)
                .optional()
                .map(Timestamp::toInstant);
    }

    private IssuedToken insert(
            String subject,
            Set<Scope> scopes,
            Duration ttl,
            String description,
            String createdBy,
            @Nullable Instant sessionUntil) {
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
                insert into api_token (id, subject, scopes, description, created_by, created_at, expires_at,
                    session_until)
                values (:id, :subject, :scopes, :description, :createdBy, :createdAt, :expiresAt, :sessionUntil)
                """)
                .param("id", minted.id())
                .param("subject", subject)
                .param("scopes", scopeList.stream().map(Scope::value).toArray(String[]::new))
                .param("description", description)
                .param("createdBy", createdBy)
                .param("createdAt", Timestamp.from(now))
                .param("expiresAt", Timestamp.from(minted.expiresAt()))
                .param("sessionUntil", sessionUntil == null ? null : Timestamp.from(sessionUntil))
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
