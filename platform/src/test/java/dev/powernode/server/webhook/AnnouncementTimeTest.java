package dev.powernode.server.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The webhook's build time is read without the general formatter when it has the usual form
 * ({@link AnnouncementParser#rfc3339}); what is accepted, and the value, must stay exactly {@code
 * OffsetDateTime.parse}'s.
 */
class AnnouncementTimeTest {

    @Test
    void theUsualFormsTakeTheFastPathWithTheFormattersValue() {
        for (String text : List.of(
                "2026-11-29T01:30:00Z",
                "2026-11-29T01:30:00.5Z",
                "2026-11-29T01:30:00.123456789Z",
                "2026-11-29T01:30:00.123456+01:00",
                "2026-11-29T01:30:00-05:30",
                "2024-02-29T23:59:59+18:00",
                "2026-11-29T01:30:00-00:00")) {
            assertThat(AnnouncementParser.canonical(text))
                    .as(text)
                    .isEqualTo(OffsetDateTime.parse(text).toInstant());
        }
    }

    @Test
    void everythingElseIsTheFormattersAnswer() {
        List<String> texts = new ArrayList<>(List.of(
                "2026-11-29t01:30:00z",
                "2026-11-29T01:30Z",
                "2026-11-29T01:30:00+01",
                "2026-11-29T01:30:00+0100",
                "2026-11-29T01:30:00+01:00:30",
                "2026-11-29T01:30:00.Z",
                "2026-11-29T01:30:00.1234567891Z",
                "2026-02-30T01:30:00Z",
                "2025-02-29T01:30:00Z",
                "2026-11-29T24:00:00Z",
                "2026-11-29T23:59:60Z",
                "2026-11-29T01:30:00+19:00",
                "2026-11-29T01:30:00+18:01",
                "2026-11-29T01:30:00+01:60",
                "+12026-11-29T01:30:00Z",
                "2026-11-29 01:30:00Z",
                "２０２６-11-29T01:30:00Z",
                "2026-11-29T01:30:00",
                ""));
        Random random = new Random(20);
        String alphabet = "0123456789-:.TZ+ tz";
        String template = "2026-11-29T01:30:00.123456+01:00";
        for (int i = 0; i < 20_000; i++) {
            char[] c = template.substring(0, 20 + random.nextInt(13)).toCharArray();
            for (int k = random.nextInt(3); k >= 0; k--) {
                c[random.nextInt(c.length)] = alphabet.charAt(random.nextInt(alphabet.length()));
            }
            texts.add(new String(c) + (random.nextBoolean() ? "Z" : ""));
        }
        int fast = 0;
        for (String text : texts) {
            Instant expected;
            try {
                expected = OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeException refused) {
                assertThat(AnnouncementParser.canonical(text)).as(text).isNull();
                assertThatThrownBy(() -> AnnouncementParser.rfc3339(text))
                        .as(text)
                        .isInstanceOf(refused.getClass())
                        .hasMessage(refused.getMessage());
                continue;
            }
            if (AnnouncementParser.canonical(text) != null) {
                fast++;
            }
            assertThat(AnnouncementParser.rfc3339(text)).as(text).isEqualTo(expected);
        }
        // the random texts include accepted ones, most of them on the fast path
        assertThat(fast).isGreaterThan(500);
    }
}
