package dev.powernode.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.FieldError;
import dev.powernode.server.shared.Violations;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The one set of rules a webhook body and a direct-upload announcement are both checked by. */
class AnnouncementRulesTest {
    static final String SHA = "cd".repeat(32);

    /** The raw fields by wire name, as a JSON body or an upload announcement would carry them. */
    record Fields(Map<String, Object> raw) implements AnnouncementRules.Fields {
        Fields with(String field, Object value) {
            Map<String, Object> changed = new HashMap<>(raw);
            changed.put(field, value);
            return new Fields(changed);
        }

        private String text(String field) {
            return (String) raw.get(field);
        }

        @Override
        public String platform() {
            return text("platform");
        }

        @Override
        public String artifactFamily() {
            return text("artifact_family");
        }

        @Override
        public String arch() {
            return text("arch");
        }

        @Override
        public String sha256() {
            return text("sha256");
        }

        @Override
        public Long sizeBytes() {
            return (Long) raw.get("size_bytes");
        }

        @Override
        public String gitSha() {
            return text("git_sha");
        }

        @Override
        public String firmwareRef() {
            return text("firmware_ref");
        }

        @Override
        public String runId() {
            return text("run_id");
        }
    }

    static final Fields GOOD = new Fields(Map.of(
            "platform",
            "signed",
            "artifact_family",
            "uefi_disk",
            "arch",
            "amd64",
            "sha256",
            SHA,
            "size_bytes",
            1234L,
            "git_sha",
            "0123456789abcdef",
            "firmware_ref",
            "fw@sha256:" + "aa".repeat(32),
            "run_id",
            "42"));

    @Test
    void aGoodAnnouncementIsReturnedChecked() {
        Violations v = new Violations();

        AnnouncementRules.Announcement a = AnnouncementRules.check(GOOD, v);

        assertThat(v.isEmpty()).isTrue();
        assertThat(a)
                .isEqualTo(new AnnouncementRules.Announcement(
                        "signed",
                        ArtifactFamily.UEFI_DISK,
                        Arch.AMD64,
                        SHA,
                        1234,
                        "0123456789abcdef",
                        "fw@sha256:" + "aa".repeat(32),
                        "42"));
    }

    @Test
    void theSha256MayCarryItsAlgorithmPrefixButNotUppercaseOrAnotherLength() {
        assertThat(checked(f -> f.with("sha256", "sha256:" + SHA)).sha256()).isEqualTo(SHA);
        assertRefused(f -> f.with("sha256", SHA.toUpperCase()), "sha256", "must be 64 lowercase hex digits");
        assertRefused(f -> f.with("sha256", SHA.substring(2)), "sha256", "must be 64 lowercase hex digits");
    }

    @Test
    void theGitShaIsSevenToSixtyFourLowercaseHexDigits() {
        assertThat(checked(f -> f.with("git_sha", "abcdef0")).gitSha()).isEqualTo("abcdef0");
        assertRefused(f -> f.with("git_sha", "abcdef"), "git_sha", "must be 7-64 lowercase hex digits");
        assertRefused(f -> f.with("git_sha", "ABCDEF0"), "git_sha", "must be 7-64 lowercase hex digits");
    }

    @Test
    void theSizeIsRequiredAndBetweenZeroAndATebibyte() {
        assertThat(checked(f -> f.with("size_bytes", 0L)).sizeBytes()).isZero();
        assertThat(checked(f -> f.with("size_bytes", AnnouncementRules.MAX_SIZE))
                        .sizeBytes())
                .isEqualTo(AnnouncementRules.MAX_SIZE);
        assertRefused(f -> f.with("size_bytes", null), "size_bytes", "is required");
        assertRefused(
                f -> f.with("size_bytes", -1L),
                "size_bytes",
                "must be an integer between 0 and " + AnnouncementRules.MAX_SIZE);
        assertRefused(
                f -> f.with("size_bytes", AnnouncementRules.MAX_SIZE + 1),
                "size_bytes",
                "must be an integer between 0 and " + AnnouncementRules.MAX_SIZE);
    }

    @Test
    void theTripleIsOneOfTheWireValuesAndTheRefusalListsThem() {
        assertRefused(
                f -> f.with("artifact_family", "floppy"),
                "artifact_family",
                "must be one of kernel_initramfs, uefi_disk, iso, ipxe, qcow2, oci, got 'floppy'");
        assertRefused(f -> f.with("arch", null), "arch", "is required");
    }

    @Test
    void textIsBoundedFreeOfControlCharactersAndTheEmptyStringStandsForAnotherType() {
        assertRefused(
                f -> f.with("run_id", "x".repeat(201)),
                "run_id",
                "must be a non-empty string of at most 200 characters");
        assertRefused(
                f -> f.with("firmware_ref", "x".repeat(501)),
                "firmware_ref",
                "must be a non-empty string of at most 500 characters");
        assertRefused(
                f -> f.with("platform", "signed\u001b[2J"),
                "platform",
                "must not contain control characters (NUL, newline, ESC, ...)");
        assertRefused(f -> f.with("platform", ""), "platform", "must be a non-empty string of at most 200 characters");
        assertThat(checked(f -> f.with("run_id", null).with("firmware_ref", null))
                        .runId())
                .as("optional")
                .isNull();
    }

    @Test
    void everyBadFieldIsNamedAtOnceAndNothingIsReturned() {
        Violations v = new Violations();

        AnnouncementRules.Announcement a = AnnouncementRules.check(
                new Fields(new HashMap<>(Map.of(
                        "artifact_family",
                        "floppy",
                        "arch",
                        "sparc",
                        "sha256",
                        "xyz",
                        "size_bytes",
                        -1L,
                        "git_sha",
                        "nothex!"))),
                v);

        assertThat(a).isNull();
        assertThatThrownBy(v::throwIfAny)
                .isInstanceOfSatisfying(
                        DomainException.class,
                        e -> assertThat(e.fieldErrors())
                                .extracting(FieldError::field)
                                .containsExactly(
                                        "platform", "artifact_family", "arch", "sha256", "size_bytes", "git_sha"));
    }

    private static AnnouncementRules.Announcement checked(UnaryOperator<Fields> change) {
        Violations v = new Violations();
        AnnouncementRules.Announcement a = AnnouncementRules.check(change.apply(GOOD), v);
        v.throwIfAny();
        return a;
    }

    private static void assertRefused(UnaryOperator<Fields> change, String field, String message) {
        Violations v = new Violations();
        assertThat(AnnouncementRules.check(change.apply(GOOD), v)).isNull();
        assertThatThrownBy(v::throwIfAny)
                .isInstanceOfSatisfying(
                        DomainException.class,
                        e -> assertThat(e.fieldErrors()).isEqualTo(List.of(new FieldError(field, message))));
    }
}
