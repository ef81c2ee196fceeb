package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class TableTest {
    static final Instant NOW = Instant.parse("2026-11-29T12:00:00Z");

    static JsonNode json(String s) {
        return ApiClient.JSON.readTree(s);
    }

    static String render(Table table, List<JsonNode> rows) {
        StringWriter out = new StringWriter();
        table.print(new PrintWriter(out), rows, Style.PLAIN, NOW);
        return out.toString();
    }

    @Test
    void columnsAreAlignedUnderTheirHeadersWithShortFormsAndDashesForAbsentValues() {
        Table t = new Table()
                .text("ID", "id")
                .status("STATUS", "status")
                .digest("SHA256", "sha256")
                .ago("PUBLISHED", "published_at");
        String text = render(
                t,
                List.of(
                        json("{\"id\":\"a\",\"status\":\"published\",\"sha256\":\"" + "ab".repeat(32)
                                + "\",\"published_at\":\"2026-11-29T11:57:00Z\"}"),
                        json("{\"id\":\"bbbb\",\"status\":\"failed\",\"sha256\":null,\"published_at\":null}")));

        assertThat(text.lines().toList())
                .containsExactly(
                        "ID    STATUS     SHA256        PUBLISHED",
                        "a     published  abababababab  3m ago",
                        "bbbb  failed     -             -");
    }

    @Test
    void anEmptyListSaysNone() {
        assertThat(render(new Table().text("ID", "id"), List.of())).isEqualTo("(none)" + System.lineSeparator());
    }

    @Test
    void colouredStatusesKeepTheColumnsAligned() {
        StringWriter out = new StringWriter();
        Table t = new Table().status("STATUS", "status").text("ID", "id");
        t.print(
                new PrintWriter(out),
                List.of(json("{\"status\":\"failed\",\"id\":\"x\"}"), json("{\"status\":\"published\",\"id\":\"y\"}")),
                Style.of(true),
                NOW);

        List<String> lines = out.toString().lines().toList();
        assertThat(lines.get(1)).isEqualTo("\u001b[31mfailed\u001b[0m     x");
        assertThat(lines.get(2)).isEqualTo("\u001b[32mpublished\u001b[0m  y");
        assertThat(lines.get(0)).isEqualTo("STATUS     ID");
    }

    @Test
    void oneRecordShowsEveryFieldWithNestedObjectsDottedAndTimesRelative() {
        StringWriter out = new StringWriter();
        Table.record(
                new PrintWriter(out),
                json("{\"id\":\"w1\",\"created_at\":\"2026-11-29T10:00:00Z\",\"events\":[\"published\",\"failed\"],"
                        + "\"last_delivery\":{\"verdict\":\"rejected\",\"reason\":null}}"),
                Style.PLAIN,
                NOW);

        assertThat(out.toString().lines().toList())
                .containsExactly(
                        "id                     w1",
                        "created_at             2026-11-29T10:00:00Z (2h ago)",
                        "events                 published, failed",
                        "last_delivery.verdict  rejected",
                        "last_delivery.reason   -");
    }
}
