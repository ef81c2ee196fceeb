package dev.powernode.server.node;

/**
 * A node just enrolled: its record, its token (shown this once) and the {@code identity.cfg} its
 * {@code BOOT} partition carries ({@code buildkit/identity.sh} writes it into a disk image).
 */
public record EnrolledNode(Node node, String token, String identityCfg) {}
