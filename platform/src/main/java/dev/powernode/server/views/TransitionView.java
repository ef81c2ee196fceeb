package dev.powernode.server.views;

import dev.powernode.server.publication.Transition;
import java.time.Instant;

/** One state change of a publication; {@code from} is null for the first. */
public record TransitionView(String from, String to, String actor, String reason, Instant at) {
    public static TransitionView of(Transition t) {
        return new TransitionView(
                t.from() == null ? null : t.from().value(), t.to().value(), t.actor(), t.reason(), t.at());
    }
}
