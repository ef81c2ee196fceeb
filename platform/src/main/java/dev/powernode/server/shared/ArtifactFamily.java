package dev.powernode.server.shared;

/** The six artifact families build.sh produces per architecture. */
public enum ArtifactFamily implements WireEnum.Valued {
    KERNEL_INITRAMFS("kernel_initramfs"),
    UEFI_DISK("uefi_disk"),
    ISO("iso"),
    IPXE("ipxe"),
    QCOW2("qcow2"),
    OCI("oci");

    private final String value;

    ArtifactFamily(String value) {
        this.value = value;
    }

    @Override
    public String value() {
        return value;
    }

    /** Parses the wire value, or throws an INVALID error naming {@code field}. */
    public static ArtifactFamily parse(String field, String value) {
        return WireEnum.parse(ArtifactFamily.class, field, value);
    }
}
