package dev.powernode.server.events;

import dev.powernode.server.shared.DomainException;

/** What operators can be told about; the CloudEvents type is {@code dev.powernode.disk_image.<value>}. */
public enum EventType {
    PUBLISHED("published"),
    FAILED("failed"),
    PROMOTED("promoted"),
    ROLLED_BACK("rolled_back"),
    PURGED("purged");

    private final String value;

    EventType(String value) {
        this.value = value;
    }

    String value() {
        return value;
    }

    String cloudEventType() {
        return "dev.powernode.disk_image." + value;
    }

    static EventType parse(String field, String value) {
        for (EventType t : values()) {
            if (t.value.equals(value)) {
                return t;
            }
        }
        throw DomainException.invalid(
                field, "must be one of published, failed, promoted, rolled_back, purged; got '" + value + "'");
    }
}
