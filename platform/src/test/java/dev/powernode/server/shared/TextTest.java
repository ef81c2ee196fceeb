package dev.powernode.server.shared;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TextTest {
    @Test
    void printableEscapesControlCharactersThatPostgresOrALogWouldChokeOn() {
        assertThat(Text.printable("2026\u0000-01\nfake log line\u001b[31m", 100))
                .isEqualTo("2026\\u0000-01\\u000afake log line\\u001b[31m");
    }

    @Test
    void printableCutsToItsLimitWithoutSplittingAnEscapeOrASurrogatePair() {
        assertThat(Text.printable("a".repeat(5000), 2000)).hasSize(2000);
        assertThat(Text.printable("abc\u0000", 8)).isEqualTo("abc");
        assertThat(Text.printable("ab\uD83D\uDE00", 3)).isEqualTo("ab");
        assertThat(Text.printable(null, 10)).isNull();
    }
}
