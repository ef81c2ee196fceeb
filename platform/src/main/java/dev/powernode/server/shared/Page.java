package dev.powernode.server.shared;

import java.util.List;
import java.util.function.Function;

/** One page of results and the total count across all pages. */
public record Page<T>(List<T> items, int page, int perPage, long total) {
    public Page {
        items = List.copyOf(items);
    }

    public <R> Page<R> map(Function<T, R> f) {
        return new Page<>(items.stream().map(f).toList(), page, perPage, total);
    }
}
