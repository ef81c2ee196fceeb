package dev.powernode.server.web;

import dev.powernode.common.token.Scope;
import dev.powernode.server.auth.ApiTokens;
import dev.powernode.server.auth.IssuedToken;
import dev.powernode.server.shared.DomainException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.ResponseCookie;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;
import org.springframework.stereotype.Component;

/**
 * Web sessions: an operator's token (API token, one minted offline, or a one-time login link's) is
 * checked like a bearer token and exchanged for a session token with the same subject and scopes,
 * recorded in the token table (listed and revocable like any other, "web UI session"), for at most
 * 8 hours and never longer than the token it came from (for a login link: than the token that asked
 * for it). Logging out revokes it.
 */
@Component
class Sessions {
    static final Duration MAX = Duration.ofHours(8);

    private final JwtDecoder decoder;
    private final ApiTokens tokens;
    private final Clock clock;

    Sessions(JwtDecoder decoder, ApiTokens tokens, Clock clock) {
        this.decoder = decoder;
        this.tokens = tokens;
        this.clock = clock;
    }

    /** Why a login failed, in words for the login page. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    /** A new session for whoever {@code presented} names; its token goes into the session cookie. */
    IssuedToken open(String presented) {
        if (presented == null || presented.isBlank()) {
            throw new Refused("paste an operator token (powernode token create, or token mint)");
        }
        Jwt jwt;
        try {
            jwt = decoder.decode(presented.strip());
        } catch (JwtException e) {
            throw new Refused("the token was refused: " + e.getMessage());
        }
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        String claim = jwt.getClaimAsString("scope");
        if (claim != null) {
            for (String s : claim.split(" ")) {
                Scope.parse(s).ifPresent(scopes::add);
            }
        }
        if (scopes.isEmpty()) {
            throw new Refused("the token has no operator scope (disk_images:read, disk_images:write or system:admin)");
        }
        Instant now = clock.instant();
        // a login link is used up here, and its session ends when the link said; any other token's
        // session ends with the token
        Instant end = redeemed(jwt).orElse(jwt.getExpiresAt() == null ? now.plus(MAX) : jwt.getExpiresAt());
        Duration left = Duration.between(now, end);
        Duration ttl = left.compareTo(MAX) < 0 ? left : MAX;
        if (ttl.toSeconds() < 60) {
            throw new Refused("the token expires within a minute: use a fresh one");
        }
        return tokens.create(jwt.getSubject(), scopes, ttl, "web UI session", jwt.getSubject());
    }

    private java.util.Optional<Instant> redeemed(Jwt jwt) {
        try {
            return jwt.getId() == null
                    ? java.util.Optional.empty()
                    : tokens.redeemLoginLink(UUID.fromString(jwt.getId()));
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    /** Revokes the session token {@code jti} names (the logout). */
    void close(String sessionTokenId) {
        try {
            tokens.revoke(UUID.fromString(sessionTokenId));
        } catch (IllegalArgumentException | DomainException e) {
            // not one of ours: nothing to revoke
        }
    }

    static String cookie(IssuedToken session, boolean secure) {
        return ResponseCookie.from(WebSecurityConfiguration.SESSION_COOKIE, session.token())
                .httpOnly(true)
                .secure(secure)
                .sameSite("Strict")
                .path("/ui")
                .maxAge(Duration.between(
                        session.record().createdAt(), session.record().expiresAt()))
                .build()
                .toString();
    }

    static String clearCookie(boolean secure) {
        return ResponseCookie.from(WebSecurityConfiguration.SESSION_COOKIE, "")
                .httpOnly(true)
                .secure(secure)
                .sameSite("Strict")
                .path("/ui")
                .maxAge(0)
                .build()
                .toString();
    }
}
