package dev.powernode.server.ci;

import dev.powernode.server.shared.WireEnum;

/** What a worker does. Only CI runners exist today. */
public enum WorkerRole implements WireEnum.Valued {
    CI_WORKER("ci_worker");

    private final String value;

    WorkerRole(String value) {
        this.value = value;
    }

    @Override
    public String value() {
        return value;
    }

    public static WorkerRole parse(String field, String value) {
        return WireEnum.parse(WorkerRole.class, field, value);
    }
}
