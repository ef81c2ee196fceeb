package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs every case of the sigstore-conformance bundle-verify suite through the CLI protocol: pass
 * cases must exit 0, {@code _fail} cases must exit non-zero.
 */
class VerifyBundleConformanceTest {
    static final String DEFAULT_IDENTITY =
            "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon"
                    + "/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    static final String DEFAULT_ISSUER = "https://token.actions.githubusercontent.com";

    /** Cases this implementation does not get right yet, each with the reason; skipped, not hidden. */
    static final Map<String, String> KNOWN_GAPS = Map.of();

    static Stream<String> cases() throws IOException, URISyntaxException {
        try (Stream<Path> dirs = Files.list(suite())) {
            return dirs.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().toList().stream();
        }
    }

    static Path suite() throws URISyntaxException {
        return Path.of(VerifyBundleConformanceTest.class
                        .getResource("/sigstore-conformance/a.txt")
                        .toURI())
                .getParent();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void verifiesConformanceCase(String name) throws Exception {
        assumeFalse(KNOWN_GAPS.containsKey(name), () -> "known gap: " + KNOWN_GAPS.get(name));
        Path dir = suite().resolve(name);
        List<String> args = new ArrayList<>(List.of(
                "verify-bundle", "--bundle", dir.resolve("bundle.sigstore.json").toString()));
        if (Files.exists(dir.resolve("key.pub"))) {
            args.addAll(List.of("--key", dir.resolve("key.pub").toString()));
        } else {
            args.addAll(List.of(
                    "--certificate-identity", read(dir.resolve("identity"), DEFAULT_IDENTITY),
                    "--certificate-oidc-issuer", read(dir.resolve("issuer"), DEFAULT_ISSUER)));
        }
        if (Files.exists(dir.resolve("trusted_root.json"))) {
            args.addAll(
                    List.of("--trusted-root", dir.resolve("trusted_root.json").toString()));
        }
        Path artifact = Files.exists(dir.resolve("artifact")) ? dir.resolve("artifact") : suite().resolve("a.txt");
        args.add(artifact.toString());

        int exit = PowernodeCli.execute(args.toArray(String[]::new));

        if (name.endsWith("_fail")) {
            assertThat(exit).as("%s must be refused", name).isNotZero();
        } else {
            assertThat(exit).as("%s must verify", name).isZero();
        }
    }

    private static String read(Path p, String fallback) throws IOException {
        return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8).strip() : fallback;
    }
}
