package dev.powernode.server.retention;

import java.util.List;

/**
 * What a retention run did: {@code purged} rows (their artifacts deleted, or {@code alreadyGone}
 * when the registry had nothing left to delete), rows left for the next run because of
 * {@code errors}, and how long it took. {@code keptInUse}: publications past the count that live
 * nodes still boot, kept. {@code reclaimableBytes}: what the registry's garbage
 * collection can free after this run (blobs of the deleted manifests that no live publication
 * references; see docs/operations.md), since deleting a manifest frees no storage by itself.
 */
public record RetentionReport(
        int planned,
        int purged,
        int artifactsDeleted,
        int alreadyGone,
        int keptShared,
        int keptInUse,
        long reclaimableBytes,
        List<String> errors,
        long millis) {}
