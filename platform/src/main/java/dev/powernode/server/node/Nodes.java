package dev.powernode.server.node;

import dev.powernode.common.oci.Digest;
import dev.powernode.server.platform.NodePlatform;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.publication.DiskImagePublication;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.Ids;
import dev.powernode.server.shared.Page;
import dev.powernode.server.shared.PageRequest;
import dev.powernode.server.shared.RateLimited;
import dev.powernode.server.shared.ServiceProperties;
import dev.powernode.server.shared.Text;
import dev.powernode.server.shared.TokenBuckets;
import dev.powernode.server.shared.Violations;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Nodes: enrolment (claim by ID: one generic image for the fleet, a per-node {@code identity.cfg}
 * with the node's id and token), authentication of the node API by token ({@code pnn_...}, only its
 * SHA-256 kept), the boot reports agents send, and the fleet's convergence per triple.
 *
 * <p>A report is checked against the publications: it must name a publication of the node's own
 * platform and triple that was published, with that publication's artifact digest. A refused report
 * is recorded with its reason (and changes nothing) before the refusal is thrown; a report id seen
 * before is answered as it was the first time, so an agent may retry freely.
 */
@Service
public class Nodes {
    private static final Logger log = LoggerFactory.getLogger(Nodes.class);
    static final String TOKEN_PREFIX = "pnn_";
    static final Pattern NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");
    private static final Pattern SHA256 = Pattern.compile("^[0-9a-f]{64}$");
    private static final int MAX_AGENT_VERSION = 100;
    /**
     * How stale {@code last_seen_at} may get before a request that writes nothing else refreshes it:
     * longer than a reporting node's interval (30 s), so its reports keep it fresh without a write
     * of their own; far shorter than {@code stale-after} (10 min).
     */
    static final java.time.Duration SEEN_GRANULARITY = java.time.Duration.ofSeconds(60);
    /**
     * How old the stale count a convergence answer carries may be: a small part of {@code
     * stale-after} (10 min), long enough that a dashboard polling every second scans the fleet's
     * nodes once in 30 s, not once a second.
     */
    public static final java.time.Duration STALE_RECOUNT = java.time.Duration.ofSeconds(30);
    /** {@code node_fleet_count.publication_id} of the nodes that never reported. */
    private static final UUID NEVER_REPORTED = new UUID(0, 0);

    private final JdbcClient jdbc;
    private final NodePlatforms platforms;
    private final Publications publications;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final ServiceProperties service;
    private final NodeProperties config;
    private final TokenBuckets reportLimits;
    private final SecureRandom random = new SecureRandom();
    /** Per replica, per platform: a cache of a count, so no replica needs another's. */
    private final Map<UUID, StaleCount> staleCounts = new ConcurrentHashMap<>();

    Nodes(
            JdbcClient jdbc,
            NodePlatforms platforms,
            Publications publications,
            TransactionTemplate tx,
            Clock clock,
            ServiceProperties service,
            NodeProperties config) {
        this.jdbc = jdbc;
        this.platforms = platforms;
        this.publications = publications;
        this.tx = tx;
        this.clock = clock;
        this.service = service;
        this.config = config;
        // one bucket per node; room for a large fleet before keys share the overflow bucket
        this.reportLimits = new TokenBuckets(config.reportRate(), config.reportBurst(), clock, 200_000);
    }

    /**
     * Enrols a node named {@code name} for the platform's (family, arch) triple and mints its
     * token. A name is unique per platform: enrolling it again is a CONFLICT (revoke the old node
     * first), so a token is never silently replaced.
     */
    @Transactional
    public EnrolledNode enroll(String platform, String name, String family, String arch, String enrolledBy) {
        Violations v = new Violations();
        if (platform == null || platform.isBlank()) {
            v.add("platform", "is required: the platform's slug or id");
        }
        if (name == null || !NAME.matcher(name).matches()) {
            v.add("name", "must be 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit");
        }
        ArtifactFamily f = v.parse(() -> ArtifactFamily.parse("artifact_family", family));
        Arch a = v.parse(() -> Arch.parse("arch", arch));
        v.throwIfAny();
        NodePlatform p = platforms.resolve(platform);
        byte[] raw = new byte[32];
        random.nextBytes(raw);
        String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        UUID id = Ids.newId();
        Instant now = clock.instant();
        try {
            jdbc.sql("""
                    insert into node (id, node_platform_id, name, artifact_family, arch, token_sha256, enrolled_by,
                                      enrolled_at)
                    values (:id, :platform, :name, :family, :arch, :hash, :by, :now)
                    """)
                    .param("id", id)
                    .param("platform", p.id())
                    .param("name", name)
                    .param("family", f.value())
                    .param("arch", a.value())
                    .param("hash", sha256(token))
                    .param("by", enrolledBy)
                    .param("now", Timestamp.from(now))
                    .update();
        } catch (DuplicateKeyException e) {
            throw DomainException.conflict(
                    "node/name-taken",
                    "platform '" + p.slug() + "' already has a node named '" + name + "' (revoke it to enrol again)");
        }
        Node node = get(id);
        return new EnrolledNode(node, token, identityCfg(node, p, token));
    }

    /**
     * The identity.cfg of {@code node} with {@code token} (checked by {@link #holding}): the same
     * text enrolment returned, so provisioning writes the canonical file, never a caller's variant.
     */
    public String identityCfg(Node node, String token) {
        return identityCfg(node, platforms.get(node.nodePlatformId()), token);
    }

    private String identityCfg(Node node, NodePlatform p, String token) {
        return """
                # Powernode node identity: identity.cfg on the node's BOOT partition (buildkit/identity.sh)
                device_id=%s
                node_name=%s
                platform=%s
                artifact_family=%s
                arch=%s
                platform_url=%s
                token=%s
                """.formatted(
                        node.id(),
                        node.name(),
                        p.slug(),
                        node.artifactFamily().value(),
                        node.arch().value(),
                        service.publicUrl(),
                        token);
    }

    /** The nodes of one platform (or of all, {@code platformId} null), by platform and name. */
    @Transactional(readOnly = true)
    public Page<Node> list(@Nullable UUID platformId, boolean includeRevoked, PageRequest page) {
        String where = " where (cast(:platform as uuid) is null or node_platform_id = :platform)"
                + (includeRevoked ? "" : " and revoked_at is null");
        List<Node> items = jdbc.sql(
                        "select * from node" + where + " order by node_platform_id, name limit :limit offset :offset")
                .param("platform", platformId)
                .param("limit", page.perPage())
                .param("offset", page.offset())
                .query(Nodes::node)
                .list();
        long total = jdbc.sql("select count(*) from node" + where)
                .param("platform", platformId)
                .query(Long.class)
                .single();
        return new Page<>(items, page.page(), page.perPage(), total);
    }

    /** The node with this id, or NOT_FOUND. */
    @Transactional(readOnly = true)
    public Node get(UUID id) {
        return jdbc.sql("select * from node where id = :id")
                .param("id", id)
                .query(Nodes::node)
                .optional()
                .orElseThrow(() -> DomainException.notFound("node/not-found", "no node '" + id + "'"));
    }

    /** Revokes a node: its token is refused from now on. Revoking twice is a no-op. */
    @Transactional
    public Node revoke(UUID id) {
        int rows = jdbc.sql("update node set revoked_at = coalesce(revoked_at, :now) where id = :id")
                .param("id", id)
                .param("now", Timestamp.from(clock.instant()))
                .update();
        if (rows == 0) {
            throw DomainException.notFound("node/not-found", "no node '" + id + "'");
        }
        return get(id);
    }

    /**
     * The live node holding {@code token}, or empty (unknown, malformed or revoked). Records that it
     * was seen, at most once per {@link #SEEN_GRANULARITY}: a report records it anyway (in the same
     * statement as the report), so a reporting node costs one write per report, not two.
     */
    public Optional<Node> authenticate(String token) {
        if (token == null || !token.startsWith(TOKEN_PREFIX) || token.length() > 100) {
            return Optional.empty();
        }
        Optional<Node> node = jdbc.sql("select * from node where token_sha256 = :hash and revoked_at is null")
                .param("hash", sha256(token))
                .query(Nodes::node)
                .optional();
        Instant now = clock.instant();
        node.filter(n -> n.lastSeenAt() == null || n.lastSeenAt().isBefore(now.minus(SEEN_GRANULARITY)))
                .ifPresent(n -> jdbc.sql("""
                                update node set last_seen_at = :now
                                where id = :id and (last_seen_at is null or last_seen_at < :now)
                                """)
                        .param("id", n.id())
                        .param("now", Timestamp.from(now))
                        .update());
        return node;
    }

    /**
     * The live node {@code id} when {@code token} is its token (an identity.cfg handed back for
     * provisioning); otherwise INVALID {@code node/identity-mismatch}, without saying which part is
     * wrong. Unlike {@link #authenticate} it records nothing: the node itself did not call.
     */
    @Transactional(readOnly = true)
    public Node holding(UUID id, String token) {
        Node node = get(id);
        boolean ok = token != null
                && token.startsWith(TOKEN_PREFIX)
                && token.length() <= 100
                && node.revokedAt() == null
                && jdbc.sql("select token_sha256 = :hash from node where id = :id")
                        .param("hash", sha256(token))
                        .param("id", id)
                        .query(Boolean.class)
                        .single();
        if (!ok) {
            throw new DomainException(
                    ErrorKind.INVALID,
                    "node/identity-mismatch",
                    "the identity.cfg is not node " + id + "'s (another node's, an old token, or the node is revoked)");
        }
        return node;
    }

    /**
     * The publication {@code node} should run: its triple's current one, or NOT_FOUND {@code
     * node/no-current-publication} while the triple has none.
     */
    @Transactional(readOnly = true)
    public DiskImagePublication currentFor(Node node) {
        return publications
                .current(node.nodePlatformId(), node.artifactFamily(), node.arch())
                .orElseThrow(() -> DomainException.notFound(
                        "node/no-current-publication",
                        "the node's platform has no current "
                                + node.artifactFamily().value() + "/"
                                + node.arch().value() + " publication"));
    }

    /**
     * Records a boot report of {@code node}. Accepted: the node's last report becomes this one
     * (unless a later one is already recorded). Refused (malformed, an unknown publication, another
     * platform's or triple's, a digest that is not the publication's, one never published): recorded
     * with the reason, then thrown. A report id seen before gets the first answer again. Over the
     * node's rate: 429, not recorded.
     */
    public ReportOutcome report(Node node, NodeReport r) {
        long wait = reportLimits.take(node.id().toString());
        if (wait > 0) {
            throw new RateLimited(
                    "node/rate-limited", "too many reports from this node; retry in " + wait + " s", wait);
        }
        Optional<UUID> reportId = r.reportId() == null ? Optional.empty() : Text.uuid(r.reportId());
        if (reportId.isPresent()) {
            Optional<ReportOutcome> earlier = earlier(node.id(), reportId.get());
            if (earlier.isPresent()) {
                return earlier.get();
            }
        }
        Instant now = clock.instant();
        DomainException refusal = check(node, r, reportId);
        UUID id = reportId.orElseGet(Ids::newId);
        Boolean inserted = tx.execute(s -> record(node, r, id, now, refusal));
        if (!Boolean.TRUE.equals(inserted)) {
            // the same report id raced in from a retry: answer as the one that was recorded
            return earlier(node.id(), id).orElseThrow(() -> new IllegalStateException("report " + id + " vanished"));
        }
        if (refusal != null) {
            throw refusal;
        }
        BootResult result = BootResult.parse("result", r.result());
        if (result != BootResult.HEALTHY) {
            considerRollback(node, UUID.fromString(r.publicationId()));
        }
        return new ReportOutcome(id, now, false);
    }

    /**
     * After a failed (or fallen-back) boot of {@code publicationId}: when the platform has a policy,
     * the publication is its triple's current one, it has not tripped before and no auto-rollback
     * made it current (no cascade without an operator), and {@code failures} of the first {@code
     * window} nodes that reported on it failed their first boot of it, the triple goes back to the
     * newest older publication that did not trip. The trip row and the pointer move commit
     * together, under the platform's promotion lock, and only while the publication is still
     * current (a build promoted meanwhile is never rolled back in its place); a trip is recorded
     * once per publication, so racing reports roll back once. Never throws: the report that
     * triggered it stays accepted, and a refused or failed rollback is recorded on the trip (when
     * it can be) and logged.
     */
    private void considerRollback(Node node, UUID publicationId) {
        try {
            rollBackIfTripped(node, publicationId);
        } catch (RuntimeException e) {
            log.error("auto-rollback check of publication {} failed; the report stays accepted", publicationId, e);
        }
    }

    private void rollBackIfTripped(Node node, UUID publicationId) {
        Optional<RollbackPolicy> policy = policyOf(node.nodePlatformId());
        if (policy.isEmpty()) {
            return;
        }
        Optional<DiskImagePublication> current =
                publications.current(node.nodePlatformId(), node.artifactFamily(), node.arch());
        if (current.isEmpty() || !current.get().id().equals(publicationId)) {
            return;
        }
        boolean tripped =
                jdbc.sql("""
                select exists (select 1 from node_rollback_trip
                               where publication_id = :pub or target_publication_id = :pub)
                """).param("pub", publicationId).query(Boolean.class).single();
        if (tripped) {
            return;
        }
        int window = policy.get().window();
        // each node's first accepted report on it: the rollout's verdict, not later hardware trouble
        record Tally(long nodes, long failed) {}
        Tally tally = jdbc.sql("""
                with firsts as (
                    select distinct on (node_id) node_id, received_at, result
                    from node_report where publication_id = :pub and refusal_code is null
                    order by node_id, received_at, report_id
                ), rollout as (
                    select * from firsts order by received_at, node_id limit :window
                )
                select count(*) as nodes, count(*) filter (where result in ('failed', 'fell_back')) as failed
                from rollout
                """)
                .param("pub", publicationId)
                .param("window", window)
                .query((rs, n) -> new Tally(rs.getLong("nodes"), rs.getLong("failed")))
                .single();
        if (tally.failed() < policy.get().failures()) {
            return;
        }
        DiskImagePublication from = current.get();
        String reason = "auto-rollback: " + tally.failed() + " of the first " + tally.nodes()
                + " nodes failed to boot sha256:" + from.sha256() + " (policy: "
                + policy.get().failures() + " of "
                + window + ")";
        try {
            tx.executeWithoutResult(s -> {
                int inserted = insertTrip(from, null, reason);
                if (inserted == 0) {
                    return; // another report tripped it first
                }
                Optional<DiskImagePublication> moved =
                        publications.rollBackFrom(from.id(), trippedPublications(node.nodePlatformId()), reason);
                if (moved.isPresent()) {
                    jdbc.sql(
                                    "update node_rollback_trip set target_publication_id = :target where publication_id = :pub")
                            .param("target", moved.get().id())
                            .param("pub", from.id())
                            .update();
                    log.warn("{}: {} is current again", reason, moved.get().id());
                } else if (publications
                        .current(from.nodePlatformId(), from.artifactFamily(), from.arch())
                        .map(c -> c.id().equals(from.id()))
                        .orElse(false)) {
                    jdbc.sql("update node_rollback_trip set reason = :reason where publication_id = :pub")
                            .param("reason", reason + "; nothing older to go back to")
                            .param("pub", from.id())
                            .update();
                    log.warn("{}; nothing older to go back to", reason);
                } else {
                    s.setRollbackOnly(); // the pointer moved on meanwhile: nothing tripped
                }
            });
        } catch (RuntimeException e) {
            String refused = Text.printable(reason + "; not rolled back: " + e.getMessage(), 1000);
            tx.executeWithoutResult(s -> insertTrip(from, null, refused));
            log.warn("{}", refused);
        }
    }

    private int insertTrip(DiskImagePublication from, @Nullable UUID target, String reason) {
        return jdbc.sql("""
                insert into node_rollback_trip (publication_id, node_platform_id, target_publication_id, reason, tripped_at)
                values (:pub, :platform, :target, :reason, :now)
                on conflict (publication_id) do nothing
                """)
                .param("pub", from.id())
                .param("platform", from.nodePlatformId())
                .param("target", target)
                .param("reason", reason)
                .param("now", Timestamp.from(clock.instant()))
                .update();
    }

    private java.util.Set<UUID> trippedPublications(UUID platformId) {
        return new java.util.HashSet<>(
                jdbc.sql("select publication_id from node_rollback_trip where node_platform_id = :platform")
                        .param("platform", platformId)
                        .query(UUID.class)
                        .list());
    }

    private Optional<RollbackPolicy> policyOf(UUID platformId) {
        return jdbc.sql("select * from node_rollback_policy where node_platform_id = :platform")
                .param("platform", platformId)
                .query((rs, n) -> new RollbackPolicy(
                        rs.getInt("failures"),
                        rs.getInt("window_nodes"),
                        rs.getString("updated_by"),
                        rs.getTimestamp("updated_at").toInstant()))
                .optional();
    }

    /** The platform's auto-rollback policy, or empty when it is off. */
    @Transactional(readOnly = true)
    public Optional<RollbackPolicy> rollbackPolicy(String platform) {
        return policyOf(platforms.resolve(platform).id());
    }

    /** Turns the platform's auto-rollback off (its trips stay on record). */
    @Transactional
    public void disableRollback(String platform) {
        jdbc.sql("delete from node_rollback_policy where node_platform_id = :platform")
                .param("platform", platforms.resolve(platform).id())
                .update();
    }

    /**
     * Sets the platform's auto-rollback policy: {@code failures} of the first {@code window} nodes
     * ({@code window} null keeps the policy's, or 5 for a new one).
     */
    @Transactional
    public RollbackPolicy setRollbackPolicy(
            String platform, @Nullable Integer failures, @Nullable Integer window, String actor) {
        NodePlatform p = platforms.resolve(platform);
        if (failures == null) {
            throw DomainException.invalid(
                    "failures", "is required: how many failed boots trip it (DELETE turns auto-rollback off)");
        }
        int w = window != null
                ? window
                : policyOf(p.id()).map(RollbackPolicy::window).orElse(5);
        Violations v = new Violations();
        if (w < 1 || w > 10_000) {
            v.add("window", "must be 1 to 10000 nodes");
        }
        if (failures < 1 || failures > w) {
            v.add("failures", "must be 1 to the window (" + w + ")");
        }
        v.throwIfAny();
        jdbc.sql("""
                insert into node_rollback_policy (node_platform_id, failures, window_nodes, updated_by, updated_at)
                values (:platform, :failures, :window, :by, :now)
                on conflict (node_platform_id) do update set failures = excluded.failures,
                    window_nodes = excluded.window_nodes, updated_by = excluded.updated_by, updated_at = excluded.updated_at
                """)
                .param("platform", p.id())
                .param("failures", failures)
                .param("window", w)
                .param("by", actor)
                .param("now", Timestamp.from(clock.instant()))
                .update();
        return policyOf(p.id()).orElseThrow();
    }

    /** The platform's auto-rollbacks, newest first. */
    @Transactional(readOnly = true)
    public List<RollbackTrip> rollbackTrips(String platform) {
        return jdbc.sql("""
                select * from node_rollback_trip where node_platform_id = :platform order by tripped_at desc limit 100
                """)
                .param("platform", platforms.resolve(platform).id())
                .query((rs, n) -> new RollbackTrip(
                        rs.getObject("publication_id", UUID.class),
                        rs.getObject("target_publication_id", UUID.class),
                        rs.getString("reason"),
                        rs.getTimestamp("tripped_at").toInstant()))
                .list();
    }

    private @Nullable DomainException check(Node node, NodeReport r, Optional<UUID> reportId) {
        Violations v = new Violations();
        if (reportId.isEmpty()) {
            v.add("report_id", "is required: a UUID the agent picks for this report (a retry sends it again)");
        }
        Optional<UUID> pubId = r.publicationId() == null ? Optional.empty() : Text.uuid(r.publicationId());
        if (pubId.isEmpty()) {
            v.add("publication_id", "is required: the id of the publication the node booted");
        }
        if (r.sha256() == null || !SHA256.matcher(r.sha256()).matches()) {
            v.add("sha256", "is required: the booted publication's artifact digest, 64 lowercase hex digits");
        }
        v.parse(() -> BootResult.parse("result", r.result()));
        if (r.agentVersion() != null && r.agentVersion().length() > MAX_AGENT_VERSION) {
            v.add("agent_version", "must be at most " + MAX_AGENT_VERSION + " characters");
        }
        if (r.uptimeSeconds() != null && r.uptimeSeconds() < 0) {
            v.add("uptime_seconds", "must not be negative");
        }
        Optional<DomainException> invalid = v.exception();
        if (invalid.isPresent()) {
            return invalid.get();
        }
        Optional<DiskImagePublication> pub = publications.find(pubId.get());
        if (pub.isEmpty()) {
            return refused("node/unknown-publication", "no publication '" + pubId.get() + "'");
        }
        DiskImagePublication p = pub.get();
        if (!p.nodePlatformId().equals(node.nodePlatformId())) {
            return refused(
                    "node/foreign-publication",
                    "publication " + p.id() + " belongs to another platform than this node's");
        }
        if (p.artifactFamily() != node.artifactFamily() || p.arch() != node.arch()) {
            return refused(
                    "node/foreign-publication",
                    "publication " + p.id() + " is " + p.artifactFamily().value() + "/"
                            + p.arch().value() + ", this node runs "
                            + node.artifactFamily().value() + "/" + node.arch().value());
        }
        if (p.publishedAt() == null) {
            return refused(
                    "node/unpublished-publication",
                    "publication " + p.id() + " was never published ("
                            + p.status().value() + ")");
        }
        if (!r.sha256().equals(p.sha256())) {
            return refused(
                    "node/digest-mismatch",
                    "publication " + p.id() + " has digest sha256:" + p.sha256() + ", the report says sha256:"
                            + r.sha256());
        }
        return null;
    }

    private static DomainException refused(String code, String message) {
        return new DomainException(ErrorKind.INVALID, code, message);
    }

    private boolean record(Node node, NodeReport r, UUID id, Instant now, @Nullable DomainException refusal) {
        UUID pubId =
                r.publicationId() == null ? null : Text.uuid(r.publicationId()).orElse(null);
        boolean accepted = refusal == null;
        if (accepted && BootResult.HEALTHY.value().equals(r.result())) {
            // a heartbeat: healthy on the publication the node last reported healthy. It refreshes
            // the node's row and adds none to node_report, whose rows are the boot events (every
            // change of publication, every failure and fallback); so a fleet reporting every 30 s
            // does not grow the table by a row per node per report.
            int refreshed = jdbc.sql("""
                    update node set last_report_at = :now, last_seen_at = greatest(last_seen_at, :now),
                                    agent_version = :version, uptime_seconds = :uptime
                    where id = :node and last_publication_id = :pub and last_result = 'healthy'
                      and last_report_at <= :now
                    """)
                    .param("node", node.id())
                    .param("pub", pubId)
                    .param("now", Timestamp.from(now))
                    .param("version", Text.printable(r.agentVersion(), MAX_AGENT_VERSION))
                    .param("uptime", r.uptimeSeconds())
                    .update();
            if (refreshed == 1) {
                return true;
            }
        }
        int rows = jdbc.sql("""
                insert into node_report (node_id, report_id, received_at, publication_id, sha256, result, agent_version,
                                         uptime_seconds, refusal_code, refusal)
                values (:node, :id, :now, :pub, :sha, :result, :version, :uptime, :code, :refusal)
                on conflict (node_id, report_id) do nothing
                """)
                .param("node", node.id())
                .param("id", id)
                .param("now", Timestamp.from(now))
                .param("pub", pubId)
                .param("sha", r.sha256() != null && SHA256.matcher(r.sha256()).matches() ? r.sha256() : null)
                .param("result", accepted ? r.result() : validResult(r.result()))
                .param("version", Text.printable(r.agentVersion(), MAX_AGENT_VERSION))
                .param("uptime", r.uptimeSeconds() != null && r.uptimeSeconds() >= 0 ? r.uptimeSeconds() : null)
                .param("code", accepted ? null : refusal.code())
                .param("refusal", accepted ? null : Text.printable(refusal.getMessage(), 1000))
                .update();
        if (rows == 0) {
            return false;
        }
        if (accepted) {
            jdbc.sql("""
                    update node set last_publication_id = case when :result = 'fell_back'
                                                               then coalesce(last_publication_id, :pub) else :pub end,
                                    last_result = :result, last_report_at = :now,
                                    last_seen_at = greatest(last_seen_at, :now),
                                    agent_version = :version, uptime_seconds = :uptime
                    where id = :node and (last_report_at is null or last_report_at <= :now)
                    """)
                    .param("node", node.id())
                    .param("pub", pubId)
                    .param("result", r.result())
                    .param("now", Timestamp.from(now))
                    .param("version", Text.printable(r.agentVersion(), MAX_AGENT_VERSION))
                    .param("uptime", r.uptimeSeconds())
                    .update();
        }
        return true;
    }

    private static @Nullable String validResult(@Nullable String result) {
        for (BootResult b : BootResult.values()) {
            if (b.value().equals(result)) {
                return result;
            }
        }
        return null;
    }

    /** The answer a report id already recorded gets: its outcome, or its refusal thrown again. */
    private Optional<ReportOutcome> earlier(UUID nodeId, UUID reportId) {
        return jdbc.sql("""
                select received_at, refusal_code, refusal from node_report where node_id = :node and report_id = :id
                """)
                .param("node", nodeId)
                .param("id", reportId)
                .query((rs, n) -> {
                    String code = rs.getString("refusal_code");
                    if (code != null) {
                        throw refused(code, rs.getString("refusal"));
                    }
                    return new ReportOutcome(
                            reportId, rs.getTimestamp("received_at").toInstant(), true);
                })
                .optional();
    }

    /**
     * Deletes recorded reports older than {@code powernode.nodes.report-max-age} (the retention
     * job's): what bounds node_report at a fleet's steady report rate. A node's last accepted report
     * stays on its row. Returns how many were deleted.
     */
    @Transactional
    public int purgeOldReports() {
        // a node's reports on the publication it runs stay: the first of them is its verdict on
        // that rollout (auto-rollback's tally), and heartbeats add no later rows to fall back on
        return jdbc.sql("""
                        delete from node_report r where received_at < :cutoff
                        and not exists (select 1 from node n
                                        where n.id = r.node_id and n.last_publication_id = r.publication_id)
                        """)
                .param("cutoff", Timestamp.from(clock.instant().minus(config.reportMaxAge())))
                .update();
    }

    /** How many live nodes last reported booting a publication, and one of their names. */
    public record InUse(long nodes, String example) {}

    /**
     * The publications live (not revoked) nodes last reported booting, for one platform or (null)
     * all: what retention must keep whatever its count. A node not seen for a while still counts:
     * its image is on its disk until it reports another.
     */
    @Transactional(readOnly = true)
    public Map<UUID, InUse> publicationsInUse(@Nullable UUID platformId) {
        Map<UUID, InUse> out = new LinkedHashMap<>();
        jdbc.sql("""
                select last_publication_id, count(*) as nodes, min(name) as example from node
                where revoked_at is null and last_publication_id is not null
                  and (cast(:platform as uuid) is null or node_platform_id = :platform)
                group by last_publication_id
                """).param("platform", platformId).query(rs -> {
            out.put(
                    rs.getObject("last_publication_id", UUID.class),
                    new InUse(rs.getLong("nodes"), rs.getString("example")));
        });
        return out;
    }

    /**
     * The convergence of each triple of a platform that has live nodes or a current publication:
     * nodes on the current publication, on others, never reported and unhealthy, read from {@code
     * node_fleet_count} (kept exact by a trigger on {@code node}: a few rows per triple, whatever the
     * fleet's size), and stale (not seen for {@code powernode.nodes.stale-after}), which only the
     * passing of time changes: it is counted from the nodes at most {@link #STALE_RECOUNT} before it
     * is served, and the answer says when ({@link Convergence#staleCountedAt()}).
     */
    @Transactional(readOnly = true)
    public List<Convergence> convergence(String platform) {
        NodePlatform p = platforms.resolve(platform);
        record Row(Group group, @Nullable UUID publication, long nodes, long unhealthy) {}
        List<Row> rows = jdbc.sql("""
                select artifact_family, arch, nullif(publication_id, :never) as publication_id,
                       sum(nodes) as nodes, coalesce(sum(nodes) filter (where unhealthy), 0) as unhealthy
                from node_fleet_count where node_platform_id = :platform
                group by artifact_family, arch, publication_id
                having sum(nodes) > 0
                """)
                .param("platform", p.id())
                .param("never", NEVER_REPORTED)
                .query((rs, n) -> new Row(
                        new Group(
                                ArtifactFamily.parse("artifact_family", rs.getString("artifact_family")),
                                Arch.parse("arch", rs.getString("arch"))),
                        rs.getObject("publication_id", UUID.class),
                        rs.getLong("nodes"),
                        rs.getLong("unhealthy")))
                .list();
        StaleCount stale = staleCount(p.id());
        Map<Group, UUID> currents = new LinkedHashMap<>();
        for (DiskImagePublication c : publications.current(p.id())) {
            currents.put(new Group(c.artifactFamily(), c.arch()), c.id());
        }
        Map<Group, List<Row>> byGroup = new LinkedHashMap<>();
        for (ArtifactFamily f : ArtifactFamily.values()) {
            for (Arch a : Arch.values()) {
                Group g = new Group(f, a);
                List<Row> of = rows.stream().filter(r -> r.group().equals(g)).toList();
                if (!of.isEmpty() || currents.containsKey(g)) {
                    byGroup.put(g, of);
                }
            }
        }
        List<Convergence> out = new ArrayList<>();
        byGroup.forEach((g, of) -> {
            UUID current = currents.get(g);
            long total = 0, onCurrent = 0, never = 0, unhealthy = 0;
            List<Convergence.Count> others = new ArrayList<>();
            for (Row r : of) {
                total += r.nodes();
                unhealthy += r.unhealthy();
                if (r.publication() == null) {
                    never += r.nodes();
                } else if (r.publication().equals(current)) {
                    onCurrent += r.nodes();
                } else {
                    others.add(new Convergence.Count(r.publication(), r.nodes()));
                }
            }
            others.sort((x, y) -> Long.compare(y.nodes(), x.nodes()));
            out.add(new Convergence(
                    g.family(),
                    g.arch(),
                    current,
                    total,
                    onCurrent,
                    List.copyOf(others),
                    never,
                    unhealthy,
                    stale.nodes().getOrDefault(g, 0L),
                    stale.countedAt()));
        });
        return out;
    }

    private record Group(ArtifactFamily family, Arch arch) {}

    private record StaleCount(Instant countedAt, Map<Group, Long> nodes) {}

    /**
     * The platform's stale nodes per triple, counted again (one scan of its nodes) when the count
     * this replica holds is {@link #STALE_RECOUNT} old, or from the future (the clock went back).
     */
    private StaleCount staleCount(UUID platformId) {
        Instant now = clock.instant();
        StaleCount held = staleCounts.get(platformId);
        if (held != null
                && !held.countedAt().isAfter(now)
                && held.countedAt().plus(STALE_RECOUNT).isAfter(now)) {
            return held;
        }
        Map<Group, Long> counts = new HashMap<>();
        jdbc.sql("""
                select artifact_family, arch, count(*) as stale from node
                where node_platform_id = :platform and revoked_at is null
                  and (last_seen_at is null or last_seen_at < :before)
                group by artifact_family, arch
                """)
                .param("platform", platformId)
                .param("before", Timestamp.from(now.minus(config.staleAfter())))
                .query(rs -> {
                    counts.put(
                            new Group(
                                    ArtifactFamily.parse("artifact_family", rs.getString("artifact_family")),
                                    Arch.parse("arch", rs.getString("arch"))),
                            rs.getLong("stale"));
                });
        StaleCount fresh = new StaleCount(now, Map.copyOf(counts));
        staleCounts.put(platformId, fresh);
        return fresh;
    }

    static String sha256(String token) {
        return Digest.of(token.getBytes(StandardCharsets.US_ASCII)).hex();
    }

    private static Node node(ResultSet rs, int row) throws SQLException {
        String result = rs.getString("last_result");
        return new Node(
                rs.getObject("id", UUID.class),
                rs.getObject("node_platform_id", UUID.class),
                rs.getString("name"),
                ArtifactFamily.parse("artifact_family", rs.getString("artifact_family")),
                Arch.parse("arch", rs.getString("arch")),
                rs.getString("enrolled_by"),
                rs.getTimestamp("enrolled_at").toInstant(),
                instant(rs.getTimestamp("revoked_at")),
                instant(rs.getTimestamp("last_seen_at")),
                rs.getObject("last_publication_id", UUID.class),
                result == null ? null : BootResult.parse("last_result", result),
                instant(rs.getTimestamp("last_report_at")),
                rs.getString("agent_version"),
                rs.getObject("uptime_seconds", Long.class));
    }

    private static @Nullable Instant instant(@Nullable Timestamp ts) {
        return ts == null ? null : ts.toInstant();
    }
}
