package dev.powernode.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No module reads or writes another module's tables (issue 12): each table the Flyway migrations
 * create has one owning module, and only that module's SQL names it; other modules ask the owner's
 * facade. The SQL is found in the string literals and text blocks of each module's main sources
 * ({@code from}, {@code join}, {@code into}, {@code update}, {@code delete from} followed by a
 * table). The one declared exception is the one-statement webhook intake (docs/decisions/
 * 002-one-statement-webhook-intake.md), which writes the publication, its history, its job and the
 * delivery in one round trip.
 */
class TableOwnershipTest {
    static final Path MIGRATIONS = Path.of("src/main/resources/db/migration");
    static final Path SOURCES = Path.of("src/main/java/dev/powernode/server");

    /** Each module and the tables it owns; a table missing here fails the test. */
    static final Map<String, Set<String>> OWNED = Map.ofEntries(
            // file_object: the stored artifact of a published publication, written when it is published
            Map.entry(
                    "publication",
                    Set.of(
                            "disk_image_publication",
                            "disk_image_publication_transition",
                            "disk_image_pointer_change",
                            "publication_blob",
                            "file_object")),
            Map.entry("platform", Set.of("node_platform")),
            Map.entry("webhook", Set.of("disk_image_webhook", "webhook_delivery")),
            // db-scheduler's table: its owner is the module that holds the scheduler (jobs/Jobs)
            Map.entry("jobs", Set.of("scheduled_tasks")),
            Map.entry("ci", Set.of("worker")),
            Map.entry("auth", Set.of("api_token")),
            Map.entry(
                    "node",
                    Set.of("node", "node_fleet_count", "node_report", "node_rollback_policy", "node_rollback_trip")),
            Map.entry("provision", Set.of("node_template")),
            Map.entry("bootstrap", Set.of("ci_bootstrap")),
            Map.entry("events", Set.of("event_subscription", "outbound_event", "event_delivery")),
            // direct uploads in progress: registry upload sessions any replica continues
            Map.entry("storage", Set.of("upload_session")));

    /** Each table's owning module. */
    static final Map<String, String> OWNERS = OWNED.entrySet().stream()
            .flatMap(e -> e.getValue().stream().map(table -> Map.entry(table, e.getKey())))
            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));

    /**
     * The webhook intake statement ({@code ingest/PublicationIntake}, decision 002): the tables it
     * may name besides its own module's.
     */
    static final Set<String> INTAKE_CLASSES = Set.of("PublicationIntake");

    static final Set<String> INTAKE_TABLES = Set.of(
            "disk_image_publication",
            "disk_image_publication_transition",
            "node_platform",
            "disk_image_webhook",
            "worker",
            "scheduled_tasks",
            "webhook_delivery");

    static final Pattern CREATE = Pattern.compile(
            "\\bcreate\\s+table\\s+(?:if\\s+not\\s+exists\\s+)?([a-z_][a-z0-9_]*)", Pattern.CASE_INSENSITIVE);
    static final Pattern RENAME = Pattern.compile(
            "\\balter\\s+table\\s+(?:if\\s+exists\\s+)?([a-z_][a-z0-9_]*)\\s+rename\\s+to\\s+([a-z_][a-z0-9_]*)",
            Pattern.CASE_INSENSITIVE);
    static final Pattern DROP =
            Pattern.compile("\\bdrop\\s+table\\s+(?:if\\s+exists\\s+)?([a-z_][a-z0-9_]*)", Pattern.CASE_INSENSITIVE);
    static final Pattern NAMES_TABLE = Pattern.compile(
            "\\b(?:from|join|into|update|delete\\s+from)\\s+([a-z_][a-z0-9_]*)", Pattern.CASE_INSENSITIVE);

    @Test
    void everyTableHasAnOwningModule() throws IOException {
        assertThat(OWNERS.keySet())
                .as("tables the migrations create, each with its owner in OWNERS")
                .containsExactlyInAnyOrderElementsOf(tables());
    }

    @Test
    void noModuleNamesATableItDoesNotOwn() throws IOException {
        List<String> violations = violations(SOURCES, tables());
        assertThat(violations)
                .as("SQL naming another module's table: ask the owning module's facade instead")
                .isEmpty();
    }

    @Test
    void findsSqlInStringsAndTextBlocksButNotInComments() {
        String source = """
                class X {
                    // rows from node_platform are not read here
                    /* nor: update node_platform */
                    String a = "select * from worker where id = :id";
                    String b = \"""
                            insert into api_token (id)
                            values (:id)
                            \""";
                    char c = '"';
                    String d = "delete from event_delivery where x = 'it''s \\" escaped'";
                }
                """;
        assertThat(literals(source).stream().flatMap(s -> namedTables(s).stream()))
                .containsExactly("worker", "api_token", "event_delivery");
    }

    /** The tables the migrations leave, in version order. */
    static Set<String> tables() throws IOException {
        Set<String> tables = new TreeSet<>();
        List<Path> migrations;
        try (Stream<Path> files = Files.list(MIGRATIONS)) {
            migrations = files.filter(f -> f.getFileName().toString().endsWith(".sql"))
                    .sorted((a, b) -> compareVersions(version(a), version(b)))
                    .toList();
        }
        assertThat(migrations).isNotEmpty();
        for (Path f : migrations) {
            String sql = Files.readString(f).toLowerCase(Locale.ROOT).replaceAll("--[^\n]*", "");
            Matcher create = CREATE.matcher(sql);
            while (create.find()) {
                tables.add(create.group(1));
            }
            Matcher rename = RENAME.matcher(sql);
            while (rename.find()) {
                tables.remove(rename.group(1));
                tables.add(rename.group(2));
            }
            Matcher drop = DROP.matcher(sql);
            while (drop.find()) {
                tables.remove(drop.group(1));
            }
        }
        return tables;
    }

    /** Each SQL mention of a table outside its owner, as {@code module/File.java names table (owner)}. */
    static List<String> violations(Path sources, Set<String> tables) throws IOException {
        List<String> violations = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(sources)) {
            files = s.filter(f -> f.toString().endsWith(".java")).sorted().toList();
        }
        for (Path f : files) {
            Path relative = sources.relativize(f);
            if (relative.getNameCount() < 2) {
                continue; // the application class, in no module
            }
            String module = relative.getName(0).toString();
            String className = f.getFileName().toString().replace(".java", "");
            Set<String> named = new TreeSet<>();
            for (String literal : literals(Files.readString(f))) {
                named.addAll(namedTables(literal));
            }
            for (String table : named) {
                if (!tables.contains(table)) {
                    continue; // a CTE, an alias or a word in a message
                }
                String owner = OWNERS.getOrDefault(table, "(no owner)");
                boolean intake = INTAKE_CLASSES.contains(className) && INTAKE_TABLES.contains(table);
                if (!owner.equals(module) && !intake) {
                    violations.add(relative + " names " + table + " (owned by " + owner + ")");
                }
            }
        }
        return violations;
    }

    static List<String> namedTables(String sql) {
        List<String> names = new ArrayList<>();
        Matcher m = NAMES_TABLE.matcher(sql);
        while (m.find()) {
            names.add(m.group(1).toLowerCase(Locale.ROOT));
        }
        return names;
    }

    /** The contents of the string literals and text blocks of a Java source, comments skipped. */
    static List<String> literals(String src) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < src.length()) {
            if (src.startsWith("//", i)) {
                i = end(src.indexOf('\n', i), src);
            } else if (src.startsWith("/*", i)) {
                i = end(src.indexOf("*/", i + 2), src) + 2;
            } else if (src.startsWith("\"\"\"", i)) {
                int close = closing(src, i + 3, "\"\"\"");
                out.add(src.substring(i + 3, close));
                i = close + 3;
            } else if (src.charAt(i) == '"') {
                int close = closing(src, i + 1, "\"");
                out.add(src.substring(i + 1, close));
                i = close + 1;
            } else if (src.charAt(i) == '\'') {
                i = closing(src, i + 1, "'") + 1;
            } else {
                i++;
            }
        }
        return out;
    }

    /** Where {@code delimiter} closes a literal that starts at {@code from}, escapes skipped. */
    private static int closing(String src, int from, String delimiter) {
        int i = from;
        while (i < src.length() && !src.startsWith(delimiter, i)) {
            i += src.charAt(i) == '\\' ? 2 : 1;
        }
        return Math.min(i, src.length());
    }

    private static int end(int index, String src) {
        return index < 0 ? src.length() : index;
    }

    private static String version(Path migration) {
        String name = migration.getFileName().toString();
        return name.substring(1, name.indexOf("__"));
    }

    /** Flyway's order: V13 after V9, V14_3 after V14 (parts split on dots and underscores). */
    private static int compareVersions(String a, String b) {
        String[] x = a.split("[._]");
        String[] y = b.split("[._]");
        for (int k = 0; k < Math.max(x.length, y.length); k++) {
            long p = k < x.length ? Long.parseLong(x[k]) : 0;
            long q = k < y.length ? Long.parseLong(y[k]) : 0;
            if (p != q) {
                return Long.compare(p, q);
            }
        }
        return 0;
    }
}
