package dev.powernode.common.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** An OCI content digest; only {@code sha256} is accepted (the only one we can verify in one pass). */
public record Digest(String hex) {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    public Digest {
        if (hex == null || !HEX64.matcher(hex).matches()) {
            throw new IllegalArgumentException("not a sha256 digest: " + hex);
        }
    }

    /** Parses {@code sha256:<64 lowercase hex>}. */
    public static Digest parse(String text) {
        if (text == null || !text.startsWith("sha256:")) {
            throw new IllegalArgumentException("digest must look like sha256:<64 hex>, got " + text);
        }
        return new Digest(text.substring("sha256:".length()));
    }

    public static Digest ofSha256(byte[] sha256) {
        return new Digest(HexFormat.of().formatHex(sha256));
    }

    /** The SHA-256 digest of {@code content}: the one way the project hashes bytes in memory. */
    public static Digest of(byte[] content) {
        return ofSha256(hasher().digest(content));
    }

    /** A fresh SHA-256 hasher, for content hashed while it streams. */
    public static MessageDigest hasher() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    /** The cosign legacy tag for things attached to this digest, e.g. {@code sha256-<hex>.sig}. */
    public String tagPrefix() {
        return "sha256-" + hex;
    }

    @Override
    public String toString() {
        return "sha256:" + hex;
    }
}
