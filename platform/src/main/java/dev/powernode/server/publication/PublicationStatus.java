package dev.powernode.server.publication;

import dev.powernode.server.shared.WireEnum;

/** Lifecycle of a DiskImagePublication (docs/promotion-and-retention.md, Publication states). */
public enum PublicationStatus implements WireEnum.Valued {
    QUEUED("queued"),
    AWAITING_UPLOAD("awaiting_upload"),
    VERIFYING("verifying"),
    PUBLISHED("published"),
    FAILED("failed"),
    RETIRED("retired"),
    PURGED("purged");

    private final String value;

    PublicationStatus(String value) {
        this.value = value;
    }

    @Override
    public String value() {
        return value;
    }

    /** Parses the wire value, or throws an INVALID error naming {@code field}. */
    public static PublicationStatus parse(String field, String value) {
        return WireEnum.parse(PublicationStatus.class, field, value);
    }
}
