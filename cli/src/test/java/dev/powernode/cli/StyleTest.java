package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class StyleTest {
    @Test
    void colourOnlyOnATerminalWithoutNoColor() {
        assertThat(Style.enabled(true, Map.of())).isTrue();
        assertThat(Style.enabled(false, Map.of())).as("a pipe or a file").isFalse();
        assertThat(Style.enabled(true, Map.of("NO_COLOR", "1"))).isFalse();
        assertThat(Style.enabled(true, Map.of("NO_COLOR", "")))
                .as("no-color.org: empty means unset")
                .isTrue();
        assertThat(Style.enabled(true, Map.of("TERM", "dumb"))).isFalse();
    }

    @Test
    void theTestProcessIsNoTerminalSoItsStyleIsPlain() {
        assertThat(Style.stdoutIsTerminal()).isFalse();
        assertThat(Style.detect().colour()).isFalse();
    }

    @Test
    void plainStyleLeavesStatusWordsAlone() {
        assertThat(Style.PLAIN.status("failed")).isEqualTo("failed");
    }
}
