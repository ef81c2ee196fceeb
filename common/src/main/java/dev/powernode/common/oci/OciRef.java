package dev.powernode.common.oci;

import java.util.regex.Pattern;

/**
 * {@code host[:port]/repo/path@sha256:<hex>} or {@code host[:port]/repo/path:tag}. The registry
 * host is always explicit (no Docker Hub defaulting: an artifact names where it lives).
 */
public record OciRef(String registry, String repository, Digest digest, String tag) {
    private static final Pattern HOST =
            Pattern.compile("[A-Za-z0-9.-]+(:[0-9]{1,5})?|\\[[0-9a-fA-F:]+\\](:[0-9]{1,5})?");
    private static final Pattern REPO = Pattern.compile("[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}");

    public OciRef {
        if (registry == null || !HOST.matcher(registry).matches()) {
            throw new IllegalArgumentException("invalid registry host: " + registry);
        }
        if (repository == null
                || repository.length() > 255
                || !REPO.matcher(repository).matches()) {
            throw new IllegalArgumentException("invalid repository: " + repository);
        }
        if ((digest == null) == (tag == null)) {
            throw new IllegalArgumentException("a reference has exactly one of digest or tag");
        }
        if (tag != null && !TAG.matcher(tag).matches()) {
            throw new IllegalArgumentException("invalid tag: " + tag);
        }
    }

    /** Parses a fully qualified reference; throws IllegalArgumentException saying what is wrong. */
    public static OciRef parse(String text) {
        if (text == null || text.length() > 2048) {
            throw new IllegalArgumentException("reference missing or too long");
        }
        int slash = text.indexOf('/');
        if (slash <= 0) {
            throw new IllegalArgumentException("reference must start with a registry host: " + text);
        }
        String host = text.substring(0, slash);
        String rest = text.substring(slash + 1);
        int at = rest.indexOf('@');
        if (at >= 0) {
            return new OciRef(host, rest.substring(0, at), Digest.parse(rest.substring(at + 1)), null);
        }
        int colon = rest.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("reference needs @sha256:<digest> or :tag: " + text);
        }
        return new OciRef(host, rest.substring(0, colon), null, rest.substring(colon + 1));
    }

    /** Whether {@code text} is a valid {@code host[:port]} (it goes into request URLs verbatim). */
    static boolean isRegistry(String text) {
        return text != null && HOST.matcher(text).matches();
    }

    /** Whether {@code text} is a valid repository name (it goes into request paths verbatim). */
    static boolean isRepository(String text) {
        return text != null && text.length() <= 255 && REPO.matcher(text).matches();
    }

    public static OciRef of(String registry, String repository, Digest digest) {
        return new OciRef(registry, repository, digest, null);
    }

    /** The digest, or the tag when there is none: what goes after {@code /manifests/}. */
    public String reference() {
        return digest != null ? digest.toString() : tag;
    }

    /** {@code registry/repository}, without digest or tag. */
    public String name() {
        return registry + "/" + repository;
    }

    /** Host without the port, for allow-listing. */
    public String hostname() {
        if (registry.startsWith("[")) {
            return registry.substring(0, registry.indexOf(']') + 1);
        }
        int colon = registry.indexOf(':');
        return colon < 0 ? registry : registry.substring(0, colon);
    }

    public OciRef withDigest(Digest d) {
        return new OciRef(registry, repository, d, null);
    }

    public OciRef withTag(String t) {
        return new OciRef(registry, repository, null, t);
    }

    @Override
    public String toString() {
        return name() + (digest != null ? "@" + digest : ":" + tag);
    }
}
