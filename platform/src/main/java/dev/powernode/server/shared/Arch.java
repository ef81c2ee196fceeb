package dev.powernode.server.shared;

/** Target CPU architectures. */
public enum Arch implements WireEnum.Valued {
    AMD64("amd64"),
    ARM64("arm64");

    private final String value;

    Arch(String value) {
        this.value = value;
    }

    @Override
    public String value() {
        return value;
    }

    /** Parses the wire value, or throws an INVALID error naming {@code field}. */
    public static Arch parse(String field, String value) {
        return WireEnum.parse(Arch.class, field, value);
    }
}
