package dev.powernode.common.token;

import java.util.Arrays;
import java.util.Optional;

/** API scopes carried in a token's {@code scope} claim. {@code system:admin} implies the others. */
public enum Scope {
    DISK_IMAGES_READ("disk_images:read"),
    DISK_IMAGES_WRITE("disk_images:write"),
    SYSTEM_ADMIN("system:admin");

    private final String value;

    Scope(String value) {
        this.value = value;
    }

    /** The wire form, e.g. {@code disk_images:read}. */
    public String value() {
        return value;
    }

    public static Optional<Scope> parse(String value) {
        return Arrays.stream(values()).filter(s -> s.value.equals(value)).findFirst();
    }

    @Override
    public String toString() {
        return value;
    }
}
