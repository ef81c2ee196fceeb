package dev.powernode.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * How a command prints: a table for people by default, or with {@code --json} the API's JSON
 * response as it came (for scripts). Notes for people go to stdout only without {@code --json}.
 */
final class Output {
    @Option(names = "--json", description = "Print the API's JSON response as is (for scripts) instead of a table.")
    boolean json;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    PrintWriter out() {
        return mixee.commandLine().getOut();
    }

    /** A list response ({@code {"data": [...], "meta": {...}}}): its rows, then which page this was. */
    void list(JsonNode envelope, Table table) {
        if (printedJson(envelope)) {
            return;
        }
        JsonNode data = envelope.get("data");
        table.print(out(), data.values(), style(), now());
        JsonNode meta = envelope.get("meta");
        if (meta != null && meta.has("total")) {
            long total = meta.get("total").asLong();
            int page = meta.get("page").asInt();
            int perPage = Math.max(1, meta.get("per_page").asInt());
            long pages = Math.max(1, (total + perPage - 1) / perPage);
            if (pages > 1) {
                out().println("page " + page + " of " + pages + " (" + total + " in all; --page N for more)");
                out().flush();
            }
        }
    }

    /** One object, every field as {@code field  value}. */
    void record(JsonNode object) {
        if (!printedJson(object)) {
            Table.record(out(), object, style(), now());
        }
    }

    /** Objects as table rows (e.g. the one a command changed). */
    void rows(JsonNode json, Iterable<JsonNode> rows, Table table) {
        if (!printedJson(json)) {
            table.print(out(), rows, style(), now());
        }
    }

    /**
     * A response that holds a secret the API shows once ({@code field}): printed with the rest, or
     * with {@code saveTo} written to that file instead and left out of stdout (table or JSON).
     */
    void withSecret(JsonNode response, String field, Path saveTo, String what) {
        withSecret(response, field, saveTo, what, "--save-secret");
    }

    /** Like {@link #withSecret(JsonNode, String, Path, String)}, the file option named {@code option}. */
    void withSecret(JsonNode response, String field, Path saveTo, String what, String option) {
        if (saveTo != null && response instanceof ObjectNode object && object.hasNonNull(field)) {
            SecretFile.write(saveTo, object.get(field).asString());
            object.remove(field);
            record(object);
            mixee.commandLine().getErr().println(what + " is in " + saveTo + " (mode 600); it is not shown again");
        } else {
            record(response);
            mixee.commandLine().getErr().println(what + " is shown only now: store it, or use " + option + " FILE");
        }
        mixee.commandLine().getErr().flush();
    }

    /** A line for people; nothing with {@code --json}, where stdout is the API's JSON alone. */
    void note(String line) {
        if (!json) {
            out().println(line);
            out().flush();
        }
    }

    Style style() {
        return mixee.root().userObject() instanceof PowernodeCli cli ? cli.style : Style.PLAIN;
    }

    Instant now() {
        return mixee.root().userObject() instanceof PowernodeCli cli ? cli.clock.instant() : Instant.now();
    }

    private boolean printedJson(JsonNode node) {
        if (json) {
            out().println(node == null ? "null" : ApiClient.pretty(node));
            out().flush();
        }
        return json;
    }
}
