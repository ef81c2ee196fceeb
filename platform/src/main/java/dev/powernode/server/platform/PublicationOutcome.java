package dev.powernode.server.platform;

import dev.powernode.server.shared.WireEnum;

/**
 * How the platform's last publication attempt ended ({@code disk_image_publication_status}, shown
 * to operators next to {@code disk_image_publication_error}). The platform's own type: the
 * publication lifecycle belongs to the publication module, which reports its outcomes here.
 */
public enum PublicationOutcome implements WireEnum.Valued {
    PUBLISHED("published"),
    FAILED("failed");

    private final String value;

    PublicationOutcome(String value) {
        this.value = value;
    }

    @Override
    public String value() {
        return value;
    }

    static PublicationOutcome parse(String field, String value) {
        return WireEnum.parse(PublicationOutcome.class, field, value);
    }
}
