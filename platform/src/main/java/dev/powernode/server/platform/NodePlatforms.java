package dev.powernode.server.platform;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.Ids;
import dev.powernode.server.shared.Page;
import dev.powernode.server.shared.PageRequest;
import dev.powernode.server.shared.Text;
import dev.powernode.server.shared.Violations;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/** NodePlatforms: create, read and change their settings and verification policy. */
@Service
public class NodePlatforms {
    static final int DEFAULT_RETENTION = 3;

    private final NodePlatformRepository repository;
    private final ApplicationEventPublisher events;
    private final Clock clock;

    NodePlatforms(NodePlatformRepository repository, ApplicationEventPublisher events, Clock clock) {
        this.repository = repository;
        this.events = events;
        this.clock = clock;
    }

    /**
     * Creates a platform. Every invalid field is reported at once (INVALID); a taken slug is a
     * CONFLICT ({@code node_platform/slug-taken}).
     */
    @Transactional
    public NodePlatform create(NewNodePlatform spec) {
        Violations v = new Violations();
        PlatformRules.slug(v, spec.slug());
        PlatformRules.name(v, spec.name());
        PlatformRules.buildScript(v, spec.buildScript());
        PlatformRules.retention(v, spec.diskImageRetentionCount());
        List<String> keys = spec.cosignPublicKeys() == null ? List.of() : spec.cosignPublicKeys();
        PlatformRules.policy(v, spec.cosignIdentityRegexp(), spec.cosignOidcIssuer(), keys);
        ArtifactFamily family = spec.primaryArtifactFamily() == null
                ? ArtifactFamily.UEFI_DISK
                : PlatformRules.parse(v, "primary_artifact_family", spec.primaryArtifactFamily(), ArtifactFamily.class);
        Arch arch = spec.primaryArch() == null
                ? Arch.AMD64
                : PlatformRules.parse(v, "primary_arch", spec.primaryArch(), Arch.class);
        v.throwIfAny();
        Instant now = clock.instant();
        NodePlatform platform = new NodePlatform(
                Ids.newId(),
                spec.slug(),
                spec.name().strip(),
                spec.buildScript(),
                spec.cosignIdentityRegexp(),
                spec.cosignOidcIssuer(),
                keys.stream().map(String::strip).toList(),
                spec.requireTlog(),
                Objects.requireNonNullElse(spec.diskImageRetentionCount(), DEFAULT_RETENTION),
                family,
                arch,
                null,
                null,
                null,
                null,
                null,
                now,
                now);
        try {
            repository.insert(platform);
        } catch (DuplicateKeyException e) {
            throw DomainException.conflict(
                    "node_platform/slug-taken", "a node platform with slug '" + spec.slug() + "' already exists");
        }
        return platform;
    }

    @Transactional(readOnly = true)
    public Page<NodePlatform> list(PageRequest page) {
        return new Page<>(repository.page(page), page.page(), page.perPage(), repository.count());
    }

    /** The platform with this id, or NOT_FOUND. */
    @Transactional(readOnly = true)
    public NodePlatform get(UUID id) {
        return repository.findById(id).orElseThrow(() -> notFound(id.toString()));
    }

    /** Looks a platform up by UUID or by slug, as operators and webhooks name them. */
    @Transactional(readOnly = true)
    public Optional<NodePlatform> find(String slugOrId) {
        if (slugOrId == null || slugOrId.isBlank()) {
            return Optional.empty();
        }
        Optional<UUID> id = Text.uuid(slugOrId);
        return id.isPresent() ? repository.findById(id.get()) : repository.findBySlug(slugOrId);
    }

    /** Like {@link #find} but NOT_FOUND when there is no such platform. */
    @Transactional(readOnly = true)
    public NodePlatform resolve(String slugOrId) {
        return find(slugOrId).orElseThrow(() -> notFound(slugOrId));
    }

    /** The retention count of one platform, or (null) of every platform; empty for an unknown id. */
    @Transactional(readOnly = true)
    public List<RetentionCount> retentionCounts(UUID id) {
        return repository.retentionCounts(id);
    }

    /**
     * Applies a merge-patch; the resulting policy must be whole (keyless needs regexp and issuer).
     * A new primary triple publishes {@link PrimaryTripleChanged} in this transaction, and the
     * pointer columns follow it before the change commits.
     */
    @Transactional
    public NodePlatform update(UUID id, NodePlatformChanges c) {
        NodePlatform current = repository.lockById(id).orElseThrow(() -> notFound(id.toString()));
        String name = apply(c.name(), current.name());
        String buildScript = apply(c.buildScript(), current.buildScript());
        String identity = apply(c.cosignIdentityRegexp(), current.cosignIdentityRegexp());
        String issuer = apply(c.cosignOidcIssuer(), current.cosignOidcIssuer());
        List<String> keys = c.cosignPublicKeys() == null
                ? current.cosignPublicKeys()
                : c.cosignPublicKeys().orElse(List.of());
        Boolean requireTlog = apply(c.requireTlog(), current.requireTlog());
        Integer retention = apply(c.diskImageRetentionCount(), (Integer) current.diskImageRetentionCount());
        ArtifactFamily family = apply(c.primaryArtifactFamily(), current.primaryArtifactFamily());
        Arch arch = apply(c.primaryArch(), current.primaryArch());

        Violations v = new Violations();
        PlatformRules.name(v, name);
        PlatformRules.buildScript(v, buildScript);
        if (retention == null) {
            v.add("disk_image_retention_count", "cannot be null");
        }
        PlatformRules.retention(v, retention);
        if (family == null) {
            v.add("primary_artifact_family", "cannot be null");
        }
        if (arch == null) {
            v.add("primary_arch", "cannot be null");
        }
        PlatformRules.policy(v, identity, issuer, keys);
        v.throwIfAny();

        NodePlatform updated = new NodePlatform(
                current.id(),
                current.slug(),
                name.strip(),
                buildScript,
                identity,
                issuer,
                keys.stream().map(String::strip).toList(),
                requireTlog,
                retention,
                family,
                arch,
                current.diskImageOciRef(),
                current.diskImageGitSha(),
                current.diskImageFileObjectId(),
                current.diskImagePublicationStatus(),
                current.diskImagePublicationError(),
                current.createdAt(),
                clock.instant());
        repository.updateSettings(updated);
        if (family != current.primaryArtifactFamily() || arch != current.primaryArch()) {
            events.publishEvent(new PrimaryTripleChanged(id, family, arch));
            return get(id);
        }
        return updated;
    }

    /** Locks the platform row until the surrounding transaction ends (serializes promotions). */
    @Transactional(propagation = Propagation.MANDATORY)
    public void lockForPromotion(UUID id) {
        repository.lockById(id).orElseThrow(() -> notFound(id.toString()));
    }

    /**
     * Moves the pointer columns to a newly current publication when {@code (family, arch)} is the
     * platform's primary triple; other triples have no pointer columns. All three values null
     * clear the pointer (the primary triple has no current publication).
     */
    @Transactional(propagation = Propagation.MANDATORY)
    public void pointTo(UUID id, ArtifactFamily family, Arch arch, String ociRef, String gitSha, UUID fileObjectId) {
        repository.pointTo(id, family, arch, ociRef, gitSha, fileObjectId, clock.instant());
    }

    /** The outcome of the platform's latest ingest, for operators ({@code error} null on success). */
    @Transactional(propagation = Propagation.MANDATORY)
    public void recordPublicationOutcome(UUID id, PublicationOutcome status, String error) {
        repository.recordOutcome(id, status, error, clock.instant());
    }

    @SuppressWarnings("OptionalUsedAsFieldOrParameterType")
    private static <T> T apply(Optional<T> change, T current) {
        return change == null ? current : change.orElse(null);
    }

    private static DomainException notFound(String ref) {
        return DomainException.notFound("node_platform/not-found", "no node platform '" + ref + "'");
    }
}
