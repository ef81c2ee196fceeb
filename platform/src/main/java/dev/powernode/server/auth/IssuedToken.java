package dev.powernode.server.auth;

/** A freshly minted token: shown once to its caller, never stored. */
public record IssuedToken(ApiToken record, String token) {}
