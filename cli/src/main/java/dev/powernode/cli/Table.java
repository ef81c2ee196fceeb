package dev.powernode.cli;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;

/**
 * The CLI's one text renderer: rows of API JSON as aligned columns, or one JSON object as
 * {@code field  value} lines. Widths count visible characters, so colour never shifts a column.
 */
final class Table {
    private enum Kind {
        TEXT,
        STATUS,
        AGO
    }

    private record Column(String header, Kind kind, int max, Function<JsonNode, String> value) {}

    private final List<Column> columns = new ArrayList<>();

    /** A column of a field's text. */
    Table text(String header, String field) {
        return text(header, n -> Format.text(n, field));
    }

    Table text(String header, Function<JsonNode, String> value) {
        columns.add(new Column(header, Kind.TEXT, 0, value));
        return this;
    }

    /** A column of free text (reasons, errors) cut to {@code max} characters; {@code show} has it whole. */
    Table clipped(String header, String field, int max) {
        columns.add(new Column(header, Kind.TEXT, max, n -> Format.text(n, field)));
        return this;
    }

    /** A column of status words, coloured when the style has colour. */
    Table status(String header, String field) {
        return status(header, n -> Format.text(n, field));
    }

    Table status(String header, Function<JsonNode, String> value) {
        columns.add(new Column(header, Kind.STATUS, 0, value));
        return this;
    }

    /** A column of an ISO-8601 time field shown relative to now ({@code 3m ago}). */
    Table ago(String header, String field) {
        return ago(header, n -> Format.text(n, field));
    }

    Table ago(String header, Function<JsonNode, String> isoTime) {
        columns.add(new Column(header, Kind.AGO, 0, isoTime));
        return this;
    }

    /** A column of a digest, OCI reference or git SHA in its short form. */
    Table digest(String header, String field) {
        return text(header, n -> Format.shortDigest(Format.text(n, field)));
    }

    /** Prints {@code rows} under a header line; {@code (none)} when there are none. */
    void print(PrintWriter out, Iterable<JsonNode> rows, Style style, Instant now) {
        List<String[]> cells = new ArrayList<>();
        for (JsonNode row : rows) {
            String[] line = new String[columns.size()];
            for (int i = 0; i < line.length; i++) {
                Column c = columns.get(i);
                String v = c.value().apply(row);
                v = v == null || v.isEmpty() ? Format.NONE : v;
                line[i] = Format.clip(
                        c.kind() == Kind.AGO ? Format.ago(Format.NONE.equals(v) ? null : v, now) : v, c.max());
            }
            cells.add(line);
        }
        if (cells.isEmpty()) {
            out.println("(none)");
            out.flush();
            return;
        }
        int[] width = new int[columns.size()];
        for (int i = 0; i < width.length; i++) {
            width[i] = columns.get(i).header().length();
            for (String[] line : cells) {
                width[i] = Math.max(width[i], line[i].length());
            }
        }
        String[] header = columns.stream().map(Column::header).toArray(String[]::new);
        out.println(line(header, width, null));
        for (String[] row : cells) {
            out.println(line(row, width, style));
        }
        out.flush();
    }

    private String line(String[] cells, int[] width, Style style) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            String cell = cells[i];
            String shown = style != null && columns.get(i).kind() == Kind.STATUS ? style.status(cell) : cell;
            b.append(shown);
            if (i < cells.length - 1) {
                b.append(" ".repeat(width[i] - cell.length() + 2));
            }
        }
        return b.toString().stripTrailing();
    }

    /**
     * One object as {@code field  value} lines, every field the API sent: nested objects as
     * {@code parent.field}, lists joined with commas, times followed by how long ago, status words
     * coloured.
     */
    static void record(PrintWriter out, JsonNode object, Style style, Instant now) {
        Map<String, JsonNode> fields = new LinkedHashMap<>();
        flatten("", object, fields);
        int width = fields.keySet().stream().mapToInt(String::length).max().orElse(0);
        fields.forEach((name, node) -> {
            String text = node.isArray() ? list(node) : node.isNull() ? Format.NONE : node.asString();
            if (name.endsWith("_at") && node.isString()) {
                text = text + " (" + Format.ago(text, now) + ")";
            } else if (isStatus(name) && !node.isNull()) {
                text = style.status(text);
            }
            String indent = " ".repeat(width + 2);
            out.println(
                    name + " ".repeat(width - name.length() + 2) + text.strip().replace("\n", "\n" + indent));
        });
        out.flush();
    }

    private static boolean isStatus(String field) {
        String last = field.substring(field.lastIndexOf('.') + 1);
        return last.equals("status") || last.endsWith("_status") || last.equals("verdict");
    }

    private static void flatten(String prefix, JsonNode node, Map<String, JsonNode> into) {
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            String name = prefix + e.getKey();
            if (e.getValue().isObject()) {
                flatten(name + ".", e.getValue(), into);
            } else {
                into.put(name, e.getValue());
            }
        }
    }

    private static String list(JsonNode array) {
        List<String> items = new ArrayList<>();
        array.values().forEach(v -> items.add(v.isValueNode() ? v.asString() : v.toString()));
        return items.isEmpty() ? Format.NONE : String.join(", ", items);
    }
}
