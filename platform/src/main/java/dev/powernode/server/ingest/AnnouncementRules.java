package dev.powernode.server.ingest;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.Text;
import dev.powernode.server.shared.Violations;
import dev.powernode.server.shared.WireEnum;
import java.util.regex.Pattern;

/**
 * The rules for what a runner announces about an artifact, whichever way it arrives: a webhook's
 * JSON body or a worker's direct-upload announcement (docs/api.md). Both carry the platform, the
 * triple, the SHA-256 and size of the primary file and the git commit; one set of rules keeps what
 * the two accept from drifting apart. Each rule adds its refusal to a {@link Violations} so the
 * caller names every bad field at once.
 */
public final class AnnouncementRules {
    static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");
    static final Pattern GIT_SHA = Pattern.compile("[0-9a-f]{7,64}");
    /** No disk image is a tebibyte; a larger size is a typo or a probe. */
    static final long MAX_SIZE = 1L << 40;

    private AnnouncementRules() {}

    /**
     * The shared fields as received: text unparsed, {@code null} when absent. A caller whose
     * input had a value of another type passes one no rule accepts (see {@link #text}).
     */
    public interface Fields {
        String platform();

        String artifactFamily();

        String arch();

        String sha256();

        Long sizeBytes();

        String gitSha();

        String firmwareRef();

        String runId();
    }

    /** The shared fields, checked; {@code sha256} is 64 lowercase hex digits (no prefix). */
    public record Announcement(
            String platformRef,
            ArtifactFamily family,
            Arch arch,
            String sha256,
            long sizeBytes,
            String gitSha,
            String firmwareRef,
            String runId) {}

    /**
     * Checks the shared fields, adding a violation per bad one. Returns the checked announcement,
     * or {@code null} when any of them was refused (the caller throws {@code v} after adding its
     * own fields' violations).
     */
    public static Announcement check(Fields raw, Violations v) {
        String platform = text("platform", raw.platform(), true, 200, v);
        ArtifactFamily family = wireEnum("artifact_family", raw.artifactFamily(), ArtifactFamily.class, v);
        Arch arch = wireEnum("arch", raw.arch(), Arch.class, v);
        String sha256 = sha256(raw.sha256(), v);
        long size = size(raw.sizeBytes(), v);
        String gitSha = text("git_sha", raw.gitSha(), true, 64, v);
        if (gitSha != null && !GIT_SHA.matcher(gitSha).matches()) {
            v.add("git_sha", "must be 7-64 lowercase hex digits");
            gitSha = null;
        }
        String firmwareRef = text("firmware_ref", raw.firmwareRef(), false, 500, v);
        String runId = text("run_id", raw.runId(), false, 200, v);
        boolean refused = platform == null
                || family == null
                || arch == null
                || sha256 == null
                || size < 0
                || gitSha == null
                || (raw.firmwareRef() != null && firmwareRef == null)
                || (raw.runId() != null && runId == null);
        return refused ? null : new Announcement(platform, family, arch, sha256, size, gitSha, firmwareRef, runId);
    }

    /**
     * A text field: non-empty, at most {@code max} characters, no control characters. Returns it,
     * or {@code null} when absent or refused. The empty string is refused with the message that
     * also fits a value of the wrong type, so a JSON reader passes {@code ""} for one.
     */
    public static String text(String field, String raw, boolean required, int max, Violations v) {
        if (raw == null) {
            if (required) {
                v.add(field, "is required");
            }
            return null;
        }
        if (raw.isEmpty() || raw.length() > max) {
            v.add(field, "must be a non-empty string of at most " + max + " characters");
            return null;
        }
        if (Text.controlCharacterProblem(raw, false) != null) {
            v.add(field, "must not contain control characters (NUL, newline, ESC, ...)");
            return null;
        }
        return raw;
    }

    /** Why a platform reference is refused when no platform has it as id or slug. */
    public static String unknownPlatform(String platformRef) {
        return "no node platform '" + Text.printable(platformRef, 200) + "'";
    }

    /** Why a platform without a verification policy is refused: nothing could be published for it. */
    public static String noVerificationPolicy(String slug) {
        return "platform '" + slug + "' has no verification policy (set cosign_public_keys, or cosign_identity_regexp"
                + " and cosign_oidc_issuer): nothing can be published for it";
    }

    /** 64 lowercase hex digits, optionally written {@code sha256:<hex>}. */
    private static String sha256(String raw, Violations v) {
        String sha = text("sha256", raw, true, 71, v);
        if (sha == null) {
            return null;
        }
        sha = sha.startsWith("sha256:") ? sha.substring(7) : sha;
        if (!HEX64.matcher(sha).matches()) {
            v.add("sha256", "must be 64 lowercase hex digits");
            return null;
        }
        return sha;
    }

    /** 0 to {@link #MAX_SIZE}; a negative value stands for one of another type. */
    private static long size(Long raw, Violations v) {
        if (raw == null) {
            v.add("size_bytes", "is required");
            return -1;
        }
        if (raw < 0 || raw > MAX_SIZE) {
            v.add("size_bytes", "must be an integer between 0 and " + MAX_SIZE);
            return -1;
        }
        return raw;
    }

    private static <E extends Enum<E> & WireEnum.Valued> E wireEnum(
            String field, String raw, Class<E> type, Violations v) {
        String text = text(field, raw, true, 64, v);
        if (text == null) {
            return null;
        }
        for (E e : type.getEnumConstants()) {
            if (e.value().equals(text)) {
                return e;
            }
        }
        v.add(field, "must be one of " + WireEnum.allowed(type) + ", got '" + text + "'");
        return null;
    }
}
