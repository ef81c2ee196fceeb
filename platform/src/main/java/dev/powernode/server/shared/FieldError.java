package dev.powernode.server.shared;

/** One invalid input value: the wire name of the field and why it was refused. */
public record FieldError(String field, String message) {}
