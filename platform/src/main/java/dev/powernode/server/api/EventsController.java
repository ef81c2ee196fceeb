package dev.powernode.server.api;

import dev.powernode.server.events.EventDelivery;
import dev.powernode.server.events.OutboundEvents;
import dev.powernode.server.events.Subscription;
import dev.powernode.server.views.ListResponse;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Operator endpoints for outbound notifications, and their delivery log. */
@RestController
class EventsController {
    private final OutboundEvents events;

    EventsController(OutboundEvents events) {
        this.events = events;
    }

    record SubscribeRequest(String url, List<String> events) {}

    record SubscribedView(Subscription subscription, String secret) {}

    /** Subscribes an endpoint; the HMAC secret is shown only here. {@code events} empty = all. */
    @PostMapping("/api/v1/system/event_subscriptions")
    ResponseEntity<SubscribedView> subscribe(@RequestBody SubscribeRequest body) {
        OutboundEvents.NewSubscription s = events.subscribe(body.url(), body.events());
        return ResponseEntity.status(HttpStatus.CREATED).body(new SubscribedView(s.subscription(), s.secret()));
    }

    @GetMapping("/api/v1/system/event_subscriptions")
    ListResponse<Subscription> subscriptions() {
        return ListResponse.of(events.subscriptions());
    }

    @DeleteMapping("/api/v1/system/event_subscriptions/{id}")
    ResponseEntity<Void> unsubscribe(@PathVariable String id) {
        events.unsubscribe(Params.pathId("event_subscription/not-found", "event subscription", id));
        return ResponseEntity.noContent().build();
    }

    @GetMapping("/api/v1/system/event_deliveries")
    ListResponse<EventDelivery> deliveries(
            @RequestParam(required = false) String page,
            @RequestParam(name = "per_page", required = false) String perPage) {
        return ListResponse.of(events.deliveries(Params.page(page, perPage)), d -> d);
    }
}
