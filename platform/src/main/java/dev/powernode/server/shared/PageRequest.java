package dev.powernode.server.shared;

/** A 1-based page of at most {@link #MAX_PER_PAGE} rows. */
public record PageRequest(int page, int perPage) {
    public static final int DEFAULT_PER_PAGE = 50;
    public static final int MAX_PER_PAGE = 200;

    public PageRequest {
        Violations v = new Violations();
        if (page < 1) {
            v.add("page", "must be 1 or more");
        }
        if (perPage < 1 || perPage > MAX_PER_PAGE) {
            v.add("per_page", "must be between 1 and " + MAX_PER_PAGE);
        }
        v.throwIfAny();
    }

    public static PageRequest first() {
        return new PageRequest(1, DEFAULT_PER_PAGE);
    }

    public long offset() {
        return (long) (page - 1) * perPage;
    }
}
