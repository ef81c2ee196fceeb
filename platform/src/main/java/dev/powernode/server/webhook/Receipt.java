package dev.powernode.server.webhook;

/** What the receiver answers an accepted (or repeated) delivery with: a status and a JSON body. */
public record Receipt(int status, String body) {}
