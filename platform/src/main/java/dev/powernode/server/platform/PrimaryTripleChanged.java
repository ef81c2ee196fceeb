package dev.powernode.server.platform;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import java.util.UUID;

/**
 * A platform's primary triple changed ({@code primary_artifact_family} or {@code primary_arch}).
 * Published inside the updating transaction; the publication module answers by pointing the
 * platform's pointer columns at the new triple's current publication (or at nothing) before it
 * commits, so the pointer never names the old triple's image.
 */
public record PrimaryTripleChanged(UUID platformId, ArtifactFamily family, Arch arch) {}
