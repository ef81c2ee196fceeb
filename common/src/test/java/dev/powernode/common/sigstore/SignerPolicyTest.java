package dev.powernode.common.sigstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SignerPolicyTest {
    static final String ISSUER = "https://token.actions.example.org";

    @Test
    void aNestedQuantifierIdentityPatternIsMatchedInLinearTime() {
        SignerPolicy policy = SignerPolicy.identityRegexp("^(a+)+$", ISSUER, null);
        // a backtracking engine needs ~2^n steps for this input: far beyond the timeout
        String hostileSan = "a".repeat(5_000) + "!";
        boolean matched = assertTimeoutPreemptively(
                Duration.ofSeconds(5),
                () -> policy.identity().matcher(hostileSan).matches());
        assertThat(matched).isFalse();
        assertThat(policy.identity().matcher("aaaa").matches()).isTrue();
    }

    @Test
    void anIdentityPatternMustMatchTheWholeSan() {
        SignerPolicy policy =
                SignerPolicy.identityRegexp("https://git\\.example\\.org/ops/disk-images/.*", ISSUER, null);
        assertThat(policy.identity()
                        .matcher("https://git.example.org/ops/disk-images/.gitea/workflows/build.yml@refs/heads/main")
                        .matches())
                .isTrue();
        assertThat(policy.identity()
                        .matcher("https://evil.example/?https://git.example.org/ops/disk-images/x")
                        .matches())
                .as("a match inside the SAN is not a match")
                .isFalse();
        assertThat(SignerPolicy.identityRegexp("ops", ISSUER, null)
                        .identity()
                        .matcher("ops-team")
                        .matches())
                .as("a prefix is not a match")
                .isFalse();
    }

    @Test
    void backreferencesAndLookaroundAreRefusedAsPolicies() {
        for (String unsupported : new String[] {"(a)\\1", "(?=https://).*", "(?<!x)y"}) {
            assertThat(SignerPolicy.identityPatternProblem(unsupported))
                    .as(unsupported)
                    .contains("RE2");
            assertThatThrownBy(() -> SignerPolicy.identityRegexp(unsupported, ISSUER, null))
                    .as(unsupported)
                    .isInstanceOfSatisfying(
                            SigstoreException.class, e -> assertThat(e.check()).isEqualTo("policy"));
        }
        assertThat(SignerPolicy.identityPatternProblem("^https://ci\\.example\\.org/.+$"))
                .isNull();
    }

    @Test
    void anExactIdentityIsMatchedLiterallyEvenWithQuoteMarkersInside() {
        SignerPolicy policy = SignerPolicy.exactIdentity("a.b\\Ec*", ISSUER);
        assertThat(policy.identity().matcher("a.b\\Ec*").matches()).isTrue();
        assertThat(policy.identity().matcher("axb\\Ec").matches()).isFalse();
    }
}
