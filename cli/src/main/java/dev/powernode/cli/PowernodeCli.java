package dev.powernode.cli;

import java.io.PrintWriter;
import java.time.Clock;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the {@code powernode} command. */
@Command(
        name = "powernode",
        versionProvider = PowernodeCli.Version.class,
        description = "Powernode disk images: operator, runner and node commands.",
        subcommands = {
            TokenCommand.class,
            PlatformsCommand.class,
            PublicationsCommand.class,
            RetentionCommand.class,
            WebhooksCommand.class,
            WorkersCommand.class,
            CiCommand.class,
            NodesCommand.class,
            TemplatesCommand.class,
            EventsCommand.class,
            McpCommand.class,
            UiCommand.class,
            PublishCommand.class,
            VerifyCommand.class,
            VerifyBundleCommand.class,
            dev.powernode.cli.agent.AgentCommand.class,
            CommandLine.HelpCommand.class
        })
public final class PowernodeCli extends CommandGroup {
    /** Colour of status words in tables (see {@link Style}). */
    final Style style;

    /** "Now" of relative times in tables. */
    final Clock clock;

    PowernodeCli(Style style, Clock clock) {
        this.style = style;
        this.clock = clock;
    }

    public static void main(String[] args) {
        // bigger java.net.http body buffers: half the CPU when pushing or pulling large blobs
        if (System.getProperty("jdk.httpclient.bufsize") == null) {
            System.setProperty("jdk.httpclient.bufsize", Integer.toString(256 * 1024));
        }
        System.exit(execute(args));
    }

    /**
     * Runs the CLI on this process's stdout and stderr and returns its exit code: 0 ok, 1 failed
     * (an API error prints the problem's code and detail), 2 usage error.
     */
    public static int execute(String... args) {
        return run(new CommandLine(new PowernodeCli(Style.detect(), Clock.systemUTC())), args);
    }

    /** Runs the CLI writing to {@code out} and {@code err} (no colour), e.g. to check its output in a test. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new PowernodeCli(Style.PLAIN, Clock.systemUTC()));
        cli.setOut(out);
        cli.setErr(err);
        return run(cli, args);
    }

    private static int run(CommandLine cli, String... args) {
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof CliException known) {
                commandLine.getErr().println("powernode: " + known.getMessage());
                return known.exitCode();
            }
            commandLine.getErr().println("powernode: unexpected error: " + e);
            return 1;
        });
        return cli.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = PowernodeCli.class.getPackage().getImplementationVersion();
            return new String[] {"powernode " + (v == null ? "dev" : v)};
        }
    }
}
