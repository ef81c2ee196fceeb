package dev.powernode.server.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.FieldError;
import dev.powernode.server.shared.Violations;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** The one set of rules a webhook body and a direct-upload announcement are both checked by. */
class AnnouncementRulesTest {
    static final String SHA = "cd".repeat(32);
    static final AnnouncementRules.Fields GOOD = new AnnouncementRules.Fields(
            "signed", "uefi_disk", "amd64", SHA, 1234L, "0123456789abcdef", "fw@sha256:" + "aa".repeat(32), "42");

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
        assertThat(checked(f -> with(f, "sha256", "sha256:" + SHA)).sha256()).isEqualTo(SHA);
        assertRefused(f -> with(f, "sha256", SHA.toUpperCase()), "sha256", "must be 64 lowercase hex digits");
        assertRefused(f -> with(f, "sha256", SHA.substring(2)), "sha256", "must be 64 lowercase hex digits");
    }

    @Test
    void theGitShaIsSevenToSixtyFourLowercaseHexDigits() {
        assertThat(checked(f -> with(f, "git_sha", "abcdef0")).gitSha()).isEqualTo("abcdef0");
        assertRefused(f -> with(f, "git_sha", "abcdef"), "git_sha", "must be 7-64 lowercase hex digits");
        assertRefused(f -> with(f, "git_sha", "ABCDEF0"), "git_sha", "must be 7-64 lowercase hex digits");
    }

    @Test
    void theSizeIsRequiredAndBetweenZeroAndATebibyte() {
        assertThat(checked(f -> withSize(f, 0L)).sizeBytes()).isZero();
        assertThat(checked(f -> withSize(f, AnnouncementRules.MAX_SIZE)).sizeBytes())
                .isEqualTo(AnnouncementRules.MAX_SIZE);
        assertRefused(f -> withSize(f, null), "size_bytes", "is required");
        assertRefused(
                f -> withSize(f, -1L), "size_bytes", "must be an integer between 0 and " + AnnouncementRules.MAX_SIZE);
        assertRefused(
                f -> withSize(f, AnnouncementRules.MAX_SIZE + 1),
                "size_bytes",
                "must be an integer between 0 and " + AnnouncementRules.MAX_SIZE);
    }

    @Test
    void theTripleIsOneOfTheWireValuesAndTheRefusalListsThem() {
        assertRefused(
                f -> with(f, "artifact_family", "floppy"),
                "artifact_family",
                "must be one of kernel_initramfs, uefi_disk, iso, ipxe, qcow2, oci, got 'floppy'");
        assertRefused(f -> with(f, "arch", null), "arch", "is required");
    }

    @Test
    void textIsBoundedFreeOfControlCharactersAndTheEmptyStringStandsForAnotherType() {
        assertRefused(
                f -> with(f, "run_id", "x".repeat(201)),
                "run_id",
                "must be a non-empty string of at most 200 characters");
        assertRefused(
                f -> with(f, "firmware_ref", "x".repeat(501)),
                "firmware_ref",
                "must be a non-empty string of at most 500 characters");
        assertRefused(
                f -> with(f, "platform", "signed\u001b[2J"),
                "platform",
                "must not contain control characters (NUL, newline, ESC, ...)");
        assertRefused(f -> with(f, "platform", ""), "platform", "must be a non-empty string of at most 200 characters");
        assertThat(checked(f -> with(with(f, "run_id", null), "firmware_ref", null))
                        .runId())
                .as("optional")
                .isNull();
    }

    @Test
    void everyBadFieldIsNamedAtOnceAndNothingIsReturned() {
        Violations v = new Violations();

        AnnouncementRules.Announcement a = AnnouncementRules.check(
                new AnnouncementRules.Fields(null, "floppy", "sparc", "xyz", -1L, "nothex!", null, null), v);

        assertThat(a).isNull();
        assertThatThrownBy(v::throwIfAny)
                .isInstanceOfSatisfying(
                        DomainException.class,
                        e -> assertThat(e.fieldErrors())
                                .extracting(FieldError::field)
                                .containsExactly(
                                        "platform", "artifact_family", "arch", "sha256", "size_bytes", "git_sha"));
    }

    private static AnnouncementRules.Announcement checked(UnaryOperator<AnnouncementRules.Fields> change) {
        Violations v = new Violations();
        AnnouncementRules.Announcement a = AnnouncementRules.check(change.apply(GOOD), v);
        v.throwIfAny();
        return a;
    }

    private static void assertRefused(UnaryOperator<AnnouncementRules.Fields> change, String field, String message) {
        Violations v = new Violations();
        assertThat(AnnouncementRules.check(change.apply(GOOD), v)).isNull();
        assertThatThrownBy(v::throwIfAny)
                .isInstanceOfSatisfying(
                        DomainException.class,
                        e -> assertThat(e.fieldErrors()).isEqualTo(List.of(new FieldError(field, message))));
    }

    private static AnnouncementRules.Fields with(AnnouncementRules.Fields f, String field, String value) {
        return new AnnouncementRules.Fields(
                field.equals("platform") ? value : f.platform(),
                field.equals("artifact_family") ? value : f.artifactFamily(),
                field.equals("arch") ? value : f.arch(),
                field.equals("sha256") ? value : f.sha256(),
                f.sizeBytes(),
                field.equals("git_sha") ? value : f.gitSha(),
                field.equals("firmware_ref") ? value : f.firmwareRef(),
                field.equals("run_id") ? value : f.runId());
    }

    private static AnnouncementRules.Fields withSize(AnnouncementRules.Fields f, Long size) {
        return new AnnouncementRules.Fields(
                f.platform(), f.artifactFamily(), f.arch(), f.sha256(), size, f.gitSha(), f.firmwareRef(), f.runId());
    }
}
