package dev.powernode.server.publication;

import java.time.Instant;

/**
 * Build order (docs/decisions/004-signed-delivery-ids-and-build-order.md): the signed build time
 * each webhook announced (checked against its manifest), so arrival order cannot move the pointer
 * backwards; an equal build time is never "newer". Publications without one (direct uploads, rows
 * from before build times) count from their creation among themselves (ties told apart by id).
 * Across the two kinds, a signed build time beats an arrival time, and a publication without one
 * never displaces one that has it: an upload's signature says nothing about when its file was
 * built, so a re-upload of an old file must not become current on its own (an operator promotes
 * it).
 */
final class BuildOrder {
    private BuildOrder() {}

    static boolean isNewer(DiskImagePublication a, DiskImagePublication b) {
        if ((a.buildTime() == null) != (b.buildTime() == null)) {
            return a.buildTime() != null;
        }
        int byTime = orderKey(a).compareTo(orderKey(b));
        if (byTime != 0) {
            return byTime > 0;
        }
        if (a.buildTime() != null) {
            return false;
        }
        return a.id().toString().compareTo(b.id().toString()) > 0;
    }

    /** What a publication is ordered by: its signed build time, else its creation. */
    static Instant orderKey(DiskImagePublication p) {
        return p.buildTime() != null ? p.buildTime() : p.createdAt();
    }

    /** Both name the same manifest: the same build announced again. */
    static boolean sameManifest(DiskImagePublication a, DiskImagePublication b) {
        return a.ociRef() != null
                && b.ociRef() != null
                && a.ref().digest() != null
                && a.ref().digest().equals(b.ref().digest());
    }
}
