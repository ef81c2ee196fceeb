package dev.powernode.common.token;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.SignedJWT;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenMinterTest {
    static final SigningKey KEY =
            SigningKey.fromBase64("dGVzdC1zaWduaW5nLWtleS1mb3ItcG93ZXJub2RlLXRlc3RzLTAxMjM0NTY3ODk=");

    @Test
    void mintsAnHs256TokenWithScopesAndExpiry() throws Exception {
        Instant now = Instant.parse("2026-11-26T12:00:00Z");
        var minted = new TokenMinter(KEY)
                .mint("alice", List.of(Scope.DISK_IMAGES_READ, Scope.SYSTEM_ADMIN), now, Duration.ofHours(2));

        SignedJWT jwt = SignedJWT.parse(minted.token());
        assertThat(jwt.verify(new MACVerifier(KEY.bytes()))).isTrue();
        assertThat(jwt.getJWTClaimsSet().getSubject()).isEqualTo("alice");
        assertThat(jwt.getJWTClaimsSet().getStringClaim("scope")).isEqualTo("disk_images:read system:admin");
        assertThat(jwt.getJWTClaimsSet().getExpirationTime().toInstant()).isEqualTo(now.plus(Duration.ofHours(2)));
        assertThat(jwt.getJWTClaimsSet().getJWTID()).isEqualTo(minted.id().toString());
        assertThat(jwt.getJWTClaimsSet().getIssuer()).isEqualTo(TokenMinter.ISSUER);
    }

    @Test
    void refusesEmptyScopesBlankSubjectAndAbsurdLifetimes() {
        TokenMinter minter = new TokenMinter(KEY);
        Instant now = Instant.now();
        assertThatThrownBy(() -> minter.mint("a", List.of(), now, Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> minter.mint(" ", List.of(Scope.SYSTEM_ADMIN), now, Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> minter.mint("a", List.of(Scope.SYSTEM_ADMIN), now, Duration.ofDays(400)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> minter.mint("a", List.of(Scope.SYSTEM_ADMIN), now, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesShortKeys() {
        assertThatThrownBy(() -> SigningKey.fromBase64("c2hvcnQ=")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SigningKey.fromBase64("%%%")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void createsAKeyFileOnceOwnerOnlyAndReusesIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sub/jwt-secret");
        SigningKey first = SigningKey.loadOrCreate(file);
        SigningKey second = SigningKey.loadOrCreate(file);
        assertThat(second.bytes()).isEqualTo(first.bytes());
        assertThat(Files.getPosixFilePermissions(file))
                .isEqualTo(Set.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE));
        try (var listing = Files.list(file.getParent())) {
            assertThat(listing).as("no temp files left behind").hasSize(1);
        }
    }

    @Test
    void parsesShortDurations() {
        assertThat(Durations.parse("90s")).isEqualTo(Duration.ofSeconds(90));
        assertThat(Durations.parse("15m")).isEqualTo(Duration.ofMinutes(15));
        assertThat(Durations.parse("12h")).isEqualTo(Duration.ofHours(12));
        assertThat(Durations.parse("30d")).isEqualTo(Duration.ofDays(30));
        assertThatThrownBy(() -> Durations.parse("1w")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Durations.parse("")).isInstanceOf(IllegalArgumentException.class);
    }
}
