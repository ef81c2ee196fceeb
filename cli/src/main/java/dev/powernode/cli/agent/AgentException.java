package dev.powernode.cli.agent;

/**
 * A failure of the node agent, typed by what went wrong so that the log line and the exit code say
 * it: the platform or the registry unreachable, a publication the baked policy does not accept, a
 * full {@code persist} or ESP, bad local configuration.
 */
public final class AgentException extends RuntimeException {
    /** What failed. {@code exitCode} is the command's exit status for it. */
    public enum Kind {
        CONFIG(2),
        PLATFORM_UNREACHABLE(1),
        PLATFORM_REFUSED(1),
        REGISTRY(1),
        SIGNATURE(1),
        DIGEST_MISMATCH(1),
        NOT_UPDATABLE(1),
        PERSIST_FULL(1),
        ESP_FULL(1),
        IO(1);

        final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }

        /** The kind as it appears in log lines, e.g. {@code persist-full}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    private final Kind kind;

    public AgentException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public AgentException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
