package dev.powernode.common.sigstore;

/**
 * A signature that does not verify, or input that cannot be verified. {@link #check()} names the
 * check that failed (for example {@code certificate}, {@code identity}, {@code issuer}, {@code
 * signature}, {@code tlog}, {@code integrated-time}, {@code subject}, {@code bundle}); the message
 * says why in one line.
 */
public final class SigstoreException extends RuntimeException {
    private final String check;

    public SigstoreException(String check, String message) {
        super(message);
        this.check = check;
    }

    public SigstoreException(String check, String message, Throwable cause) {
        super(message, cause);
        this.check = check;
    }

    public String check() {
        return check;
    }
}
