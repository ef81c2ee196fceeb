package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FormatTest {
    static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");

    @Test
    void relativeTimesSayHowLongAgoInTheLargestWholeUnit() {
        assertThat(Format.ago(NOW, NOW)).isEqualTo("just now");
        assertThat(Format.ago(NOW.minusSeconds(42), NOW)).isEqualTo("42s ago");
        assertThat(Format.ago(NOW.minus(Duration.ofMinutes(3)).minusSeconds(59), NOW))
                .isEqualTo("3m ago");
        assertThat(Format.ago(NOW.minus(Duration.ofHours(5)), NOW)).isEqualTo("5h ago");
        assertThat(Format.ago(NOW.minus(Duration.ofHours(47)), NOW)).isEqualTo("47h ago");
        assertThat(Format.ago(NOW.minus(Duration.ofDays(9)), NOW)).isEqualTo("9d ago");
        assertThat(Format.ago(NOW.plus(Duration.ofMinutes(4)), NOW)).isEqualTo("in 4m");
    }

    @Test
    void relativeTimesOfApiTextKeepWhatIsNotATime() {
        assertThat(Format.ago("2026-11-29T11:57:00.123456Z", NOW)).isEqualTo("2m ago");
        assertThat(Format.ago((String) null, NOW)).isEqualTo("-");
        assertThat(Format.ago("yesterday", NOW)).isEqualTo("yesterday");
    }

    @Test
    void digestsAreCutToTwelveHexDigitsAlsoInsideAnOciReference() {
        String hex = "0123456789abcdef".repeat(4);
        assertThat(Format.shortDigest(hex)).isEqualTo("0123456789ab");
        assertThat(Format.shortDigest("sha256:" + hex)).isEqualTo("sha256:0123456789ab");
        assertThat(Format.shortDigest("registry.example.org/disk-images@sha256:" + hex))
                .isEqualTo("registry.example.org/disk-images@sha256:0123456789ab");
        assertThat(Format.shortDigest("0123456789abcdef0123456789abcdef01234567"))
                .as("a git SHA")
                .isEqualTo("0123456");
        assertThat(Format.shortDigest("registry.example.org/x:v1")).isEqualTo("registry.example.org/x:v1");
        assertThat(Format.shortDigest(null)).isEqualTo("-");
    }

    @Test
    void sizesUseBinaryUnits() {
        assertThat(Format.bytes(512)).isEqualTo("512 B");
        assertThat(Format.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(Format.bytes(300L * 1024 * 1024)).isEqualTo("300.0 MiB");
    }

    @Test
    void clippedTextIsOneLineWithAnEllipsisWhereItWasCut() {
        assertThat(Format.clip("a\n  b", 0)).isEqualTo("a b");
        assertThat(Format.clip("abcdefghij", 5)).isEqualTo("abcd…");
        assertThat(Format.clip("abc", 5)).isEqualTo("abc");
    }
}
