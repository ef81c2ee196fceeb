package dev.powernode.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the shared command bases give every command: a group run alone prints its usage, and every
 * subcommand answers --help and --version (the bases declare mixinStandardHelpOptions once).
 */
class CommandHelpTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = PowernodeCli.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"token", "platforms", "publications", "retention", "webhooks", "workers", "events"})
    void aCommandGroupRunAlonePrintsItsUsageAndSucceeds(String group) {
        Run r = run(group);

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Usage: powernode " + group).contains("Commands:", "-h, --help");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "platforms list",
                "platforms show",
                "platforms update",
                "platforms audit",
                "publications show",
                "publications history",
                "publications list",
                "retention plan",
                "webhooks deliveries",
                "workers list",
                "events unsubscribe",
                "token list"
            })
    void everyApiSubcommandAnswersHelpWithItsApiAndOutputOptions(String command) {
        String[] words = (command + " --help").split(" ");

        Run r = run(words);

        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out())
                .startsWith("Usage: powernode " + command)
                .contains("--api-url", "--token", "--json", "-h, --help", "-V, --version");
    }

    @Test
    void pagedListsTakeAPageAndTheOnePlatformCommandsTheirPlatform() {
        assertThat(run("platforms", "audit", "--help").out()).contains("--page", "--per-page", "PLATFORM");
        assertThat(run("publications", "history", "--help").out())
                .contains("ID")
                .doesNotContain("--page");
    }

    @Test
    void theRootCommandRunAlonePrintsItsUsage() {
        Run r = run();

        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("Usage: powernode").contains("publish", "verify-bundle");
    }
}
