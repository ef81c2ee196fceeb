package dev.powernode.server.shared;

/**
 * An artifact that failed a check (wrong bytes, missing or invalid signature, policy not met):
 * permanent, never retried, and its message becomes the publication's {@code error_message}.
 *
 * <p>Shared, not in {@code signing}: {@code oci} (a blob that does not hash to its descriptor) and
 * {@code storage} (an upload that is not what was announced) raise it too, and {@code signing}
 * depends on both, so owning it there would make a cycle.
 */
public class VerificationFailure extends DomainException {
    public VerificationFailure(String code, String message) {
        super(ErrorKind.INVALID, code, message);
    }

    /** What a failed publication records: the check's code, then why (e.g. {@code signature/identity: ...}). */
    public String errorMessage() {
        return code() + ": " + getMessage();
    }
}
