package dev.powernode.common.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Mints the HS256 bearer tokens the platform's resource server accepts. Shared by the service (API
 * created tokens) and the CLI (operator bootstrap from the signing key).
 */
public final class TokenMinter {
    public static final String ISSUER = "powernode";
    public static final Duration MAX_TTL = Duration.ofDays(366);

    private final SigningKey key;

    public TokenMinter(SigningKey key) {
        this.key = Objects.requireNonNull(key);
    }

    /** A minted token: its id ({@code jti}), the compact JWT, and when it expires. */
    public record MintedToken(UUID id, String token, Instant expiresAt) {}

    public MintedToken mint(String subject, Collection<Scope> scopes, Instant now, Duration ttl) {
        return mint(UUID.randomUUID(), subject, scopes, now, ttl);
    }

    public MintedToken mint(UUID id, String subject, Collection<Scope> scopes, Instant now, Duration ttl) {
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("subject must not be blank");
        }
        if (scopes == null || scopes.isEmpty()) {
            throw new IllegalArgumentException("at least one scope is required");
        }
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("ttl must be between 1 second and " + MAX_TTL.toDays() + " days");
        }
        Instant expiresAt = now.plus(ttl);
        String scope = new LinkedHashSet<>(scopes).stream().map(Scope::value).collect(Collectors.joining(" "));
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(ISSUER)
                .subject(subject)
                .jwtID(id.toString())
                .issueTime(Date.from(now))
                .notBeforeTime(Date.from(now))
                .expirationTime(Date.from(expiresAt))
                .claim("scope", scope)
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
        try {
            jwt.sign(new MACSigner(key.bytes()));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign token", e);
        }
        return new MintedToken(id, jwt.serialize(), expiresAt);
    }
}
