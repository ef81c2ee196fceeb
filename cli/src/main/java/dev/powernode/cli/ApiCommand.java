package dev.powernode.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * A subcommand that calls the platform API and prints the answer: the API options
 * ({@code --api-url}, {@code --token}) and {@code --json}, and the request-and-print sequence the
 * list and show commands share. Subclasses inherit {@code mixinStandardHelpOptions} (--help, --version).
 */
@Command(mixinStandardHelpOptions = true)
abstract class ApiCommand implements Runnable {
    @Mixin
    ApiOptions api;

    @Mixin
    Output output;

    /** GETs the list at {@code path} and prints its rows as {@code table}. */
    void list(String path, Table table) {
        output.list(api.client().get(path), table);
    }

    /** GETs the object at {@code path} and prints every field. */
    void show(String path) {
        output.record(api.client().get(path));
    }

    /** An {@link ApiCommand} over a paged list route: {@code --page} and {@code --per-page} as well. */
    abstract static class Paged extends ApiCommand {
        @Mixin
        Paging paging;

        /** GETs this page of the list at {@code path} and prints its rows as {@code table}. */
        void listPage(String path, Table table) {
            list(paging.of(path), table);
        }
    }
}
