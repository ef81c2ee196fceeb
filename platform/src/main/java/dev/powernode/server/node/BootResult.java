package dev.powernode.server.node;

import dev.powernode.server.shared.WireEnum;

/**
 * How a node's boot of an image ended, as its agent reports it: healthy (the health checks passed
 * after multi-user.target), failed (they did not), or fell back (the boot counter ran out and the
 * node booted its last good image instead).
 */
public enum BootResult implements WireEnum.Valued {
    HEALTHY("healthy"),
    FAILED("failed"),
    FELL_BACK("fell_back");

    private final String value;

    BootResult(String value) {
        this.value = value;
    }

    @Override
    public String value() {
        return value;
    }

    public static BootResult parse(String field, String value) {
        return WireEnum.parse(BootResult.class, field, value);
    }
}
