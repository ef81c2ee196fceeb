package dev.powernode.server.bootstrap;

import dev.powernode.common.token.Scope;
import dev.powernode.server.auth.ApiTokens;
import dev.powernode.server.auth.IssuedToken;
import dev.powernode.server.ci.ProvisionedWorker;
import dev.powernode.server.ci.WorkerRole;
import dev.powernode.server.ci.Workers;
import dev.powernode.server.gitea.GiteaActions;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.Text;
import dev.powernode.server.shared.Violations;
import dev.powernode.server.webhook.DiskImageWebhooks;
import dev.powernode.server.webhook.ProvisionedWebhook;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * {@code bootstrap_disk_image_ci} and {@code provision_ci_worker}.
 *
 * <p>A bootstrap is idempotent on its label: it asks Gitea for a runner registration token first
 * (so a wrong repository, token or unreachable Gitea changes nothing), then, holding the label's
 * advisory lock until it is done (one bootstrap of a label at a time), in one transaction
 * creates or rotates the label's webhook and ci_worker (and the read token, when asked: the previous
 * one is revoked), then writes the repository's Actions secrets one by one. If Gitea fails half-way
 * the answer names the secrets already written and the one that failed, the row records it, and
 * running the bootstrap again finishes the job (it rotates once more and writes every secret).
 */
@Service
public class CiBootstrap {
    private static final Logger log = LoggerFactory.getLogger(CiBootstrap.class);
    static final Pattern LABEL = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");
    public static final String WEBHOOK_URL = "POWERNODE_WEBHOOK_URL";
    public static final String WEBHOOK_SECRET = "POWERNODE_WEBHOOK_SECRET";
    public static final String WORKER_ID = "POWERNODE_WORKER_ID";
    public static final String UPLOAD_TOKEN = "POWERNODE_UPLOAD_TOKEN";
    public static final String API_TOKEN = "POWERNODE_API_TOKEN";
    public static final String REGISTRY_USERNAME = "OCI_REGISTRY_USERNAME";
    public static final String REGISTRY_TOKEN = "OCI_REGISTRY_TOKEN";

    private final GiteaActions gitea;
    private final DiskImageWebhooks webhooks;
    private final Workers workers;
    private final ApiTokens tokens;
    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final Clock clock;
    private final CiProperties config;
    private final DataSource dataSource;

    CiBootstrap(
            GiteaActions gitea,
            DiskImageWebhooks webhooks,
            Workers workers,
            ApiTokens tokens,
            JdbcClient jdbc,
            TransactionTemplate tx,
            Clock clock,
            CiProperties config,
            DataSource dataSource) {
        this.gitea = gitea;
        this.webhooks = webhooks;
        this.workers = workers;
        this.tokens = tokens;
        this.jdbc = jdbc;
        this.tx = tx;
        this.clock = clock;
        this.config = config;
        this.dataSource = dataSource;
    }

    public BootstrapResult bootstrap(BootstrapRequest r, String actor) {
        Violations v = new Violations();
        field(v, "owner", GiteaActions.nameProblem(r.owner()));
        field(v, "repo", GiteaActions.nameProblem(r.repo()));
        label(v, r.label());
        if (r.platformApiBase() != null && !Text.isHttpUrl(r.platformApiBase())) {
            v.add("platform_api_base", "must be an absolute http(s) URL, e.g. https://platform.example.org");
        }
        v.throwIfAny();
        String owner = r.owner(), repo = r.repo(), label = r.label();
        boolean readToken = Boolean.TRUE.equals(r.createPlatformReadToken());

        // One bootstrap of a label at a time, from its rotation to its last secret, on every replica:
        // two overlapping ones would otherwise interleave their secret writes and could leave the
        // repository with values the other had already rotated away. A session advisory lock on a
        // connection of its own (a new label has no row to lock yet).
        try (Connection lock = dataSource.getConnection()) {
            advisory(lock, "select pg_advisory_lock(hashtext(?))", label);
            try {
                // Gitea first: a wrong repository, token or an unreachable Gitea fails here, before
                // anything is rotated (and under the lock: a newer registration token may void an
                // older one, so the one answered must be the last one asked for)
                String registration = gitea.runnerRegistrationToken(owner, repo);
                return rotateAndWrite(owner, repo, label, readToken, registration, r.platformApiBase(), actor);
            } finally {
                advisory(lock, "select pg_advisory_unlock(hashtext(?))", label);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the bootstrap lock of label " + label + ": " + e.getMessage(), e);
        }
    }

    private static void advisory(Connection c, String sql, String label) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, "ci_bootstrap:" + label);
            ps.execute();
        }
    }

    private BootstrapResult rotateAndWrite(
            String owner,
            String repo,
            String label,
            boolean readToken,
            String registration,
            @Nullable String platformApiBase,
            String actor) {
        record Minted(
                ProvisionedWebhook webhook,
                ProvisionedWorker worker,
                @Nullable String readToken) {}
        UUID generation = UUID.randomUUID();
        Minted minted = tx.execute(status -> {
            record Previous(
                    String owner, String repo, @Nullable UUID readToken) {}
            Previous previous = jdbc.sql("select owner, repo, read_token_id from ci_bootstrap where label = :label")
                    .param("label", label)
                    .query((rs, n) -> new Previous(
                            rs.getString("owner"), rs.getString("repo"), rs.getObject("read_token_id", UUID.class)))
                    .optional()
                    .orElse(null);
            if (previous != null
                    && !(previous.owner().equals(owner) && previous.repo().equals(repo))) {
                throw DomainException.conflict(
                        "ci/label-in-use",
                        "label '" + label + "' is the pipeline of " + previous.owner() + "/" + previous.repo()
                                + ": bootstrapping it for " + owner + "/" + repo + " would rotate the credentials that"
                                + " repository's builds use; choose another label");
            }
            UUID previousReadToken = previous == null ? null : previous.readToken();
            ProvisionedWebhook webhook = webhooks.provision(label, platformApiBase, null);
            ProvisionedWorker worker = workers.provision(WorkerRole.CI_WORKER, label);
            UUID readTokenId = previousReadToken;
            String token = null;
            if (readToken) {
                if (previousReadToken != null) {
                    tokens.revoke(previousReadToken);
                }
                IssuedToken issued = tokens.create(
                        "ci:" + label,
                        Set.of(Scope.DISK_IMAGES_READ),
                        config.readTokenTtl(),
                        "bootstrap_disk_image_ci " + owner + "/" + repo + " (Gitea secret " + API_TOKEN + ")",
                        actor);
                readTokenId = issued.record().id();
                token = issued.token();
            }
            jdbc.sql("""
                    insert into ci_bootstrap (label, owner, repo, webhook_id, worker_id, read_token_id, secrets_set,
                                              generation, complete, error, bootstrapped_by, bootstrapped_at)
                    values (:label, :owner, :repo, :webhook, :worker, :readToken, '{}', :generation, false, null,
                            :actor, :now)
                    on conflict (label) do update set owner = excluded.owner, repo = excluded.repo,
                        webhook_id = excluded.webhook_id, worker_id = excluded.worker_id,
                        read_token_id = excluded.read_token_id, secrets_set = '{}', generation = excluded.generation,
                        complete = false, error = null, bootstrapped_by = excluded.bootstrapped_by,
                        bootstrapped_at = excluded.bootstrapped_at
                    """)
                    .param("label", label)
                    .param("owner", owner)
                    .param("repo", repo)
                    .param("webhook", webhook.webhookId())
                    .param("worker", worker.workerId())
                    .param("readToken", readTokenId)
                    .param("generation", generation)
                    .param("actor", actor)
                    .param("now", Timestamp.from(clock.instant()))
                    .update();
            return new Minted(webhook, worker, token);
        });

        Map<String, String> secrets = new LinkedHashMap<>();
        secrets.put(WEBHOOK_URL, minted.webhook().webhookUrl());
        secrets.put(WEBHOOK_SECRET, minted.webhook().webhookSecret());
        secrets.put(WORKER_ID, minted.worker().workerId().toString());
        secrets.put(UPLOAD_TOKEN, minted.worker().token());
        if (minted.readToken() != null) {
            secrets.put(API_TOKEN, minted.readToken());
        }
        if (config.registryUsername() != null && config.registryToken() != null) {
            secrets.put(REGISTRY_USERNAME, config.registryUsername());
            secrets.put(REGISTRY_TOKEN, config.registryToken());
        }
        List<String> set = new ArrayList<>();
        for (Map.Entry<String, String> s : secrets.entrySet()) {
            if (!current(label, generation)) {
                // a later bootstrap of the label rotated everything again: its values are the ones
                // the repository must hold, and it writes them itself
                throw DomainException.conflict(
                                "ci/bootstrap-superseded",
                                "bootstrap of '" + label + "' was superseded by a later one while it wrote the Gitea"
                                        + " secrets; that one's values are current (set by this one before it: "
                                        + (set.isEmpty() ? "none" : String.join(", ", set)) + ")")
                        .with("gitea_secrets_set", List.copyOf(set));
            }
            try {
                gitea.putSecret(owner, repo, s.getKey(), s.getValue());
                set.add(s.getKey());
            } catch (DomainException e) {
                String why = "stopped at Gitea secret " + s.getKey() + ": " + e.getMessage();
                record(label, generation, set, false, why);
                log.warn("bootstrap of {} ({}/{}) {}", label, owner, repo, why);
                throw new DomainException(
                                e.kind(),
                                e.code(),
                                "bootstrap of '" + label + "' " + why + ". Set before it: "
                                        + (set.isEmpty() ? "none" : String.join(", ", set))
                                        + ". The webhook secret and the worker's token were rotated already: run the"
                                        + " bootstrap again to finish (it is safe to repeat)",
                                e.fieldErrors())
                        .with("gitea_secrets_set", List.copyOf(set))
                        .with("gitea_secret_failed", s.getKey());
            }
        }
        record(label, generation, set, true, null);
        log.info("bootstrapped {} for {}/{}: secrets {}", label, owner, repo, set);
        return new BootstrapResult(
                true,
                label,
                minted.webhook().webhookId(),
                minted.webhook().webhookUrl(),
                minted.webhook().webhookSecret(),
                minted.worker().workerId(),
                registration,
                List.copyOf(set),
                minted.webhook().rotated());
    }

    /**
     * Creates or rotates the ci_worker of the label and, when told where ({@code owner}, and {@code
     * repo} or not for an organisation), gets a fresh Gitea runner registration token for it. Gitea
     * is asked first, so its failure rotates nothing.
     */
    public ProvisionedCiWorker provisionCiWorker(CiWorkerRequest r) {
        Violations v = new Violations();
        label(v, r.label());
        if (r.owner() != null) {
            field(v, "owner", GiteaActions.nameProblem(r.owner()));
        }
        if (r.repo() != null) {
            if (r.owner() == null) {
                v.add("repo", "needs owner");
            }
            field(v, "repo", GiteaActions.nameProblem(r.repo()));
        }
        v.throwIfAny();
        String registration = r.owner() == null ? null : gitea.runnerRegistrationToken(r.owner(), r.repo());
        ProvisionedWorker w = workers.provision(WorkerRole.CI_WORKER, r.label());
        return new ProvisionedCiWorker(w.workerId(), w.label(), registration, w.token(), w.rotated());
    }

    /**
     * Fails unless {@code owner/repo} is a repository the platform manages: one bootstrapped here, or
     * listed in {@code POWERNODE_GITEA_REPOSITORIES}. The Gitea routes act with the platform's own
     * Gitea token, which may reach far more repositories than the build ones; a read or write token
     * of this API must not become a way into those.
     */
    public void requireManaged(String owner, String repo) {
        if (config.repositories().contains(owner + "/" + repo)) {
            return;
        }
        boolean bootstrapped = jdbc.sql("select count(*) from ci_bootstrap where owner = :owner and repo = :repo")
                        .param("owner", owner)
                        .param("repo", repo)
                        .query(Long.class)
                        .single()
                > 0;
        if (!bootstrapped) {
            throw DomainException.notFound(
                    "ci/repository-not-managed",
                    owner + "/" + repo + " is not a build repository of this platform: bootstrap it (POST"
                            + " /api/v1/system/ci/bootstrap) or list it in POWERNODE_GITEA_REPOSITORIES");
        }
    }

    /** Every label bootstrapped, newest first. */
    public List<CiBootstrapRecord> list() {
        return jdbc.sql("select * from ci_bootstrap order by bootstrapped_at desc, label")
                .query((rs, n) -> new CiBootstrapRecord(
                        rs.getString("label"),
                        rs.getString("owner"),
                        rs.getString("repo"),
                        rs.getObject("webhook_id", UUID.class),
                        rs.getObject("worker_id", UUID.class),
                        rs.getObject("read_token_id", UUID.class),
                        Arrays.asList((String[]) rs.getArray("secrets_set").getArray()),
                        rs.getBoolean("complete"),
                        rs.getString("error"),
                        rs.getString("bootstrapped_by"),
                        rs.getTimestamp("bootstrapped_at").toInstant()))
                .list();
    }

    private boolean current(String label, UUID generation) {
        return jdbc.sql("select count(*) from ci_bootstrap where label = :label and generation = :generation")
                        .param("label", label)
                        .param("generation", generation)
                        .query(Long.class)
                        .single()
                == 1;
    }

    /** What this bootstrap did, unless a later one of the label has taken its row over. */
    private void record(String label, UUID generation, List<String> set, boolean complete, @Nullable String error) {
        jdbc.sql("""
                        update ci_bootstrap set secrets_set = :set, complete = :complete, error = :error
                        where label = :label and generation = :generation
                        """)
                .param("label", label)
                .param("generation", generation)
                .param("set", set.toArray(String[]::new))
                .param("complete", complete)
                .param("error", error == null ? null : Text.printable(error, 1000))
                .update();
    }

    private static void label(Violations v, @Nullable String label) {
        if (label == null || !LABEL.matcher(label).matches()) {
            v.add("label", "must be 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit");
        }
    }

    private static void field(Violations v, String field, @Nullable String problem) {
        if (problem != null) {
            v.add(field, problem);
        }
    }
}
