package dev.powernode.server.views;

import dev.powernode.server.shared.Page;
import java.util.List;
import java.util.function.Function;

/** The list envelope: {@code {"data": [...], "meta": {"page", "per_page", "total"}}}. */
public record ListResponse<T>(List<T> data, Meta meta) {
    public record Meta(int page, int perPage, long total) {}

    public static <S, T> ListResponse<T> of(Page<S> page, Function<S, T> view) {
        return new ListResponse<>(
                page.items().stream().map(view).toList(), new Meta(page.page(), page.perPage(), page.total()));
    }

    /**
     * A list that is never paged: everything on page 1, whose size is the number of items (at
     * least 1, as for paged lists, so an empty list does not report a page size of 0).
     */
    public static <T> ListResponse<T> of(List<T> all) {
        return new ListResponse<>(all, new Meta(1, Math.max(1, all.size()), all.size()));
    }
}
