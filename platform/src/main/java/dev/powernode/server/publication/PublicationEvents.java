package dev.powernode.server.publication;

import dev.powernode.server.events.EventType;
import dev.powernode.server.events.OutboundEvents;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * What the outbound events (docs/promotion-and-retention.md, notifications) say about a
 * publication, in one place for every lifecycle step that emits one. The publications are
 * gathered only when someone subscribed to the event type.
 */
@Component
class PublicationEvents {
    private final OutboundEvents events;

    PublicationEvents(OutboundEvents events) {
        this.events = events;
    }

    void emit(EventType type, Supplier<DiskImagePublication> publication, String reason) {
        events.emit(type, () -> List.of(fact(publication.get(), reason)));
    }

    void emitAll(EventType type, Supplier<List<DiskImagePublication>> publications, String reason) {
        events.emit(
                type,
                () -> publications.get().stream().map(p -> fact(p, reason)).toList());
    }

    private static OutboundEvents.Fact fact(DiskImagePublication p, String reason) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("publication_id", p.id().toString());
        data.put("platform_id", p.nodePlatformId().toString());
        data.put("artifact_family", p.artifactFamily().value());
        data.put("arch", p.arch().value());
        data.put("status", p.status().value());
        data.put("active", p.active());
        data.put("oci_ref", p.ociRef());
        data.put("sha256", p.sha256());
        data.put("git_sha", p.gitSha());
        data.put("reason", reason);
        return new OutboundEvents.Fact(p.nodePlatformId(), p.id(), data);
    }
}
