package dev.powernode.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that only groups subcommands ({@code powernode platforms}): run alone, it prints its
 * usage. Subclasses inherit {@code mixinStandardHelpOptions} (--help, --version).
 */
@Command(mixinStandardHelpOptions = true)
abstract class CommandGroup implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
