package dev.powernode.common.oci;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChallengeTest {
    @Test
    void parsesABearerChallengeWithQuotedCommas() {
        List<Challenge> challenges =
                Challenge.parse("Bearer realm=\"https://auth.example.org/token\",service=\"registry.example.org\","
                        + "scope=\"repository:team/app:pull,push\"");

        assertThat(challenges)
                .containsExactly(new Challenge(
                        "bearer",
                        Map.of(
                                "realm", "https://auth.example.org/token",
                                "service", "registry.example.org",
                                "scope", "repository:team/app:pull,push")));
    }

    @Test
    void parsesBasicWithUnquotedAndEscapedValues() {
        assertThat(Challenge.parse("Basic realm=\"say \\\"hi\\\"\", charset=UTF-8"))
                .containsExactly(new Challenge("basic", Map.of("realm", "say \"hi\"", "charset", "UTF-8")));
    }

    @Test
    void prefersBearerWhenAHeaderOffersSeveralSchemes() {
        Challenge chosen = Challenge.choose(List.of("Basic realm=\"r\", Bearer realm=\"https://t/token\",service=s"))
                .orElseThrow();

        assertThat(chosen.scheme()).isEqualTo(Challenge.BEARER);
        assertThat(chosen.param("realm")).isEqualTo("https://t/token");
        assertThat(chosen.param("service")).isEqualTo("s");
    }

    @Test
    void offersNothingForUnknownSchemesOrAMissingHeader() {
        assertThat(Challenge.choose(List.of("Negotiate abc"))).isEmpty();
        assertThat(Challenge.choose(List.of())).isEmpty();
        assertThat(Challenge.parse(null)).isEmpty();
    }
}
