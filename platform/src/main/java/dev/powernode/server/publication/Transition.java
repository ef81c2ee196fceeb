package dev.powernode.server.publication;

import java.time.Instant;

/** One recorded state change of a publication. {@code from} is null for its creation. */
public record Transition(PublicationStatus from, PublicationStatus to, String actor, String reason, Instant at) {}
