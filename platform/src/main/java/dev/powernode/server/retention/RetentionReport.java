package dev.powernode.server.retention;

import java.util.List;

/**
 * What a retention run did: {@code purged} rows (their artifacts deleted, or {@code alreadyGone}
 * when the registry had nothing left to delete), rows left for the next run because of
 * {@code errors}, and how long it took.
 */
public record RetentionReport(
        int planned,
        int purged,
        int artifactsDeleted,
        int alreadyGone,
        int keptShared,
        List<String> errors,
        long millis) {}
