package dev.powernode.server.views;

/** A repository Actions secret that was written: {@code created} false when it replaced one. Never its value. */
public record SecretSetView(String owner, String repo, String name, boolean created) {}
