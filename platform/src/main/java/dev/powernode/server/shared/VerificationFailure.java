package dev.powernode.server.shared;

/**
 * An artifact that failed a check (wrong bytes, missing or invalid signature, policy not met):
 * permanent, never retried, and its message becomes the publication's {@code error_message}.
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
