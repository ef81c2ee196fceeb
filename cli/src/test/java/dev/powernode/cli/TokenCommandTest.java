package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.SignedJWT;
import dev.powernode.common.token.SigningKey;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCommandTest {
    static final String KEY = "dGVzdC1zaWduaW5nLWtleS1mb3ItcG93ZXJub2RlLXRlc3RzLTAxMjM0NTY3ODk=";

    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true));
            System.setErr(new PrintStream(err, true));
            int exit = PowernodeCli.execute(args);
            return new Run(exit, out.toString(), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void mintPrintsOnlyATokenSignedWithTheKeyFile(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("jwt-secret");
        Files.writeString(key, KEY + "\n");

        Run r = run(
                "token",
                "mint",
                "--subject",
                "ops",
                "--scope",
                "system:admin",
                "--ttl",
                "1h",
                "--key-file",
                key.toString());

        assertThat(r.exit()).as(r.err()).isZero();
        SignedJWT jwt = SignedJWT.parse(r.out().strip());
        assertThat(jwt.verify(new MACVerifier(SigningKey.fromBase64(KEY).bytes())))
                .isTrue();
        assertThat(jwt.getJWTClaimsSet().getStringClaim("scope")).isEqualTo("system:admin");
    }

    @Test
    void unknownScopeIsAUsageError(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("jwt-secret");
        Files.writeString(key, KEY);
        Run r = run("token", "mint", "--subject", "ops", "--scope", "root", "--key-file", key.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("unknown scope 'root'").doesNotContain("Exception");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void missingKeyFileSaysWhatToDo(@TempDir Path dir) {
        Run r = run(
                "token",
                "mint",
                "--subject",
                "ops",
                "--scope",
                "system:admin",
                "--key-file",
                dir.resolve("nope").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("no signing key");
    }

    @Test
    void apiCommandsWithoutATokenAreUsageErrors() {
        assumeTrue(System.getenv("POWERNODE_TOKEN") == null, "POWERNODE_TOKEN is set in this environment");
        Run r = run("publications", "list", "--api-url", "http://127.0.0.1:9");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("no API token");
    }

    @Test
    void unreachableApiIsAClearError() {
        Run r = run("publications", "list", "--api-url", "http://127.0.0.1:9", "--token", "x");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("cannot reach");
    }
}
