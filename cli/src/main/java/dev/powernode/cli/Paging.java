package dev.powernode.cli;

import picocli.CommandLine.Option;

/** {@code --page} and {@code --per-page} of the API's list routes. */
final class Paging {
    @Option(names = "--page", defaultValue = "1", description = "Page, from 1 (default ${DEFAULT-VALUE}).")
    int page;

    @Option(names = "--per-page", description = "Rows per page, 1-200 (the API's default: 50).")
    Integer perPage;

    /** {@code path} with this page appended to its query. */
    String of(String path) {
        return ApiClient.query(path, "page", page, "per_page", perPage);
    }
}
