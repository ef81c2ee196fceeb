package dev.powernode.server.mcp;

import static dev.powernode.server.mcp.Param.Type.BOOLEAN;
import static dev.powernode.server.mcp.Param.Type.INTEGER;
import static dev.powernode.server.mcp.Param.Type.NUMERIC_ID;
import static dev.powernode.server.mcp.Param.Type.STRING;
import static dev.powernode.server.mcp.Param.Type.STRING_LIST;
import static dev.powernode.server.mcp.Param.Type.STRING_MAP;
import static dev.powernode.server.mcp.Param.Type.UUID;

import dev.powernode.common.token.Scope;
import dev.powernode.server.bootstrap.BootstrapRequest;
import dev.powernode.server.bootstrap.BootstrapResult;
import dev.powernode.server.bootstrap.CiBootstrap;
import dev.powernode.server.bootstrap.CiBootstrapRecord;
import dev.powernode.server.bootstrap.CiWorkerRequest;
import dev.powernode.server.bootstrap.ProvisionedCiWorker;
import dev.powernode.server.ci.WorkerRole;
import dev.powernode.server.ci.Workers;
import dev.powernode.server.gitea.ActionSecret;
import dev.powernode.server.gitea.DispatchedRun;
import dev.powernode.server.gitea.GiteaActions;
import dev.powernode.server.gitea.JobLog;
import dev.powernode.server.gitea.RunWithJobs;
import dev.powernode.server.gitea.WorkflowRun;
import dev.powernode.server.mcp.ToolDef.Hints;
import dev.powernode.server.node.Nodes;
import dev.powernode.server.platform.NodePlatform;
import dev.powernode.server.platform.NodePlatformChanges;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.publication.PublicationQuery;
import dev.powernode.server.publication.PublicationStatus;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.retention.RetentionCandidate;
import dev.powernode.server.retention.RetentionPolicy;
import dev.powernode.server.retention.RetentionReport;
import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.WireEnum;
import dev.powernode.server.views.AuditView;
import dev.powernode.server.views.ConvergenceView;
import dev.powernode.server.views.EndpointView;
import dev.powernode.server.views.ListResponse;
import dev.powernode.server.views.NodePlatformView;
import dev.powernode.server.views.PublicationView;
import dev.powernode.server.views.SecretSetView;
import dev.powernode.server.views.TransitionView;
import dev.powernode.server.views.WorkerView;
import dev.powernode.server.webhook.DiskImageWebhooks;
import dev.powernode.server.webhook.ProvisionedWebhook;
import dev.powernode.server.webhook.WebhookDeliveries;
import dev.powernode.server.webhook.WebhookDelivery;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.springframework.stereotype.Component;

/**
 * Every tool, each a facade call the matching REST route makes (docs/mcp.md lists them with the
 * route). Names and parameter names are the spec's where it has them; the rest follow its style.
 * Scopes are the REST routes': reads disk_images:read, changes disk_images:write, and what mints a
 * credential or writes a Gitea secret system:admin.
 */
@Component
class OperatorTools {
    private static final String OWNER = "Gitea owner (user or organisation) of the build repository";
    private static final String REPO = "the build repository's name";
    private static final String PLATFORM = "the node platform's id or slug";

    private final List<ToolDef> all;

    OperatorTools(
            CiBootstrap bootstrap,
            GiteaActions gitea,
            DiskImageWebhooks webhooks,
            WebhookDeliveries deliveries,
            Workers workers,
            Publications publications,
            NodePlatforms platforms,
            RetentionPolicy retention,
            Nodes nodes) {
        List<ToolDef> t = new ArrayList<>();

        // --- the CI side in Gitea (spec: "Bootstrapping the CI side", "Triggering a build")
        t.add(new ToolDef(
                "bootstrap_disk_image_ci",
                "Bootstrap a build repository's CI",
                "Sets up a Gitea build repository in one idempotent call, keyed on label: creates or rotates the"
                        + " label's disk-image webhook and ci_worker, gets a fresh Gitea runner registration token,"
                        + " optionally mints a read-scoped platform token, and writes the repository's Actions"
                        + " secrets. Re-running with the same label rotates every secret and never adds rows; the"
                        + " previous secrets stop working. The webhook secret and tokens are shown only in this"
                        + " result.",
                Scope.SYSTEM_ADMIN,
                Hints.DESTRUCTIVE,
                List.of(
                        Param.required("owner", STRING, OWNER),
                        Param.required("repo", STRING, REPO),
                        Param.required(
                                "label", STRING, "operator-chosen identifier; the webhook and worker key off it"),
                        Param.optional(
                                "platform_api_base",
                                STRING,
                                "the platform's public base URL for the webhook; default POWERNODE_PUBLIC_URL"),
                        Param.optional(
                                "create_platform_read_token",
                                BOOLEAN,
                                "mint a read-scoped token for the runner to call back (secret POWERNODE_API_TOKEN)")),
                OutputSchemas.of(BootstrapResult.class),
                (a, actor) -> bootstrap.bootstrap(
                        new BootstrapRequest(
                                a.text("owner"),
                                a.text("repo"),
                                a.text("label"),
                                a.optText("platform_api_base"),
                                a.optBool("create_platform_read_token")),
                        actor)));
        t.add(new ToolDef(
                "provision_disk_image_webhook",
                "Provision a disk-image webhook",
                "Creates the webhook for a label, or rotates its secret (the old one stops working at once). The URL"
                        + " is built from the platform's public URL and the webhook id; the secret is shown only in"
                        + " this result. allowed_platforms limits which platforms it may announce for ([] = any;"
                        + " absent = unchanged).",
                Scope.SYSTEM_ADMIN,
                Hints.DESTRUCTIVE,
                List.of(
                        Param.required("label", STRING, "operator-chosen identifier of the pipeline"),
                        Param.optional(
                                "platform_api_base",
                                STRING,
                                "public base URL for the webhook; default POWERNODE_PUBLIC_URL"),
                        Param.optional(
                                "allowed_platforms", STRING_LIST, "slugs or ids of the platforms it may announce for")),
                OutputSchemas.of(ProvisionedWebhook.class),
                (a, actor) -> webhooks.provision(
                        a.text("label"), a.optText("platform_api_base"), a.optStringList("allowed_platforms"))));
        t.add(new ToolDef(
                "provision_ci_worker",
                "Provision a CI worker",
                "Creates or rotates the ci_worker of a label: a new upload token every call and, when owner (and"
                        + " repo) say where the runner registers, a Gitea runner registration token (ci_worker_token)."
                        + " Both are shown only in this result.",
                Scope.SYSTEM_ADMIN,
                Hints.DESTRUCTIVE,
                List.of(
                        Param.required("label", STRING, "the worker's label"),
                        Param.optional("owner", STRING, "Gitea owner the runner registers with"),
                        Param.optional("repo", STRING, "the repository the runner registers with; absent: the owner")),
                OutputSchemas.of(ProvisionedCiWorker.class),
                (a, actor) -> bootstrap.provisionCiWorker(
                        new CiWorkerRequest(a.text("label"), a.optText("owner"), a.optText("repo")))));
        t.add(new ToolDef(
                "set_gitea_action_secret",
                "Set a repository Actions secret",
                "Creates or replaces an Actions secret of a build repository the platform manages (e.g."
                        + " OCI_REGISTRY_TOKEN). The value is never shown again.",
                Scope.SYSTEM_ADMIN,
                Hints.DESTRUCTIVE_IDEMPOTENT,
                List.of(
                        Param.required("owner", STRING, OWNER),
                        Param.required("repo", STRING, REPO),
                        Param.required(
                                "name", STRING, "secret name: letters, digits and _, not starting GITHUB_/GITEA_"),
                        Param.required("value", STRING, "the secret's value")),
                OutputSchemas.of(SecretSetView.class),
                (a, actor) -> {
                    bootstrap.requireManaged(a.text("owner"), a.text("repo"));
                    boolean created = gitea.putSecret(a.text("owner"), a.text("repo"), a.text("name"), a.text("value"));
                    return new SecretSetView(a.text("owner"), a.text("repo"), a.text("name"), created);
                }));
        t.add(new ToolDef(
                "list_gitea_action_secrets",
                "List a repository's Actions secrets",
                "The names (never the values) of a managed build repository's Actions secrets.",
                Scope.SYSTEM_ADMIN,
                Hints.READ_ONLY,
                List.of(Param.required("owner", STRING, OWNER), Param.required("repo", STRING, REPO)),
                OutputSchemas.listOf(ActionSecret.class),
                (a, actor) -> {
                    bootstrap.requireManaged(a.text("owner"), a.text("repo"));
                    return ListResponse.of(gitea.listSecrets(a.text("owner"), a.text("repo")));
                }));
        t.add(new ToolDef(
                "dispatch_gitea_workflow",
                "Dispatch a build workflow",
                "Triggers a workflow_dispatch of a managed build repository's workflow and answers the run when Gitea"
                        + " tells it (or it is found by listing).",
                Scope.DISK_IMAGES_WRITE,
                Hints.ADDITIVE,
                List.of(
                        Param.required("owner", STRING, OWNER),
                        Param.required("repo", STRING, REPO),
                        Param.required("workflow_file", STRING, "the workflow file name, e.g. build-disk-image.yaml"),
                        Param.required("ref", STRING, "branch or tag to run on"),
                        Param.optional("inputs", STRING_MAP, "the workflow's inputs, e.g. {\"platform_slug\": \"…\"}")),
                OutputSchemas.of(DispatchedRun.class),
                (a, actor) -> {
                    bootstrap.requireManaged(a.text("owner"), a.text("repo"));
                    return gitea.dispatch(
                            a.text("owner"),
                            a.text("repo"),
                            a.text("workflow_file"),
                            a.text("ref"),
                            a.optStringMap("inputs"));
                }));
        t.add(new ToolDef(
                "list_gitea_workflow_runs",
                "List workflow runs",
                "Recent runs of a managed build repository, newest first.",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(
                        Param.required("owner", STRING, OWNER),
                        Param.required("repo", STRING, REPO),
                        Param.optional("workflow_file", STRING, "only runs of this workflow file"),
                        Param.optional("status", STRING, "only runs in this status (e.g. running, success, failure)"),
                        Param.optional("limit", INTEGER, "at most this many runs, 1-100 (default 20)")),
                OutputSchemas.listOf(WorkflowRun.class),
                (a, actor) -> {
                    bootstrap.requireManaged(a.text("owner"), a.text("repo"));
                    return ListResponse.of(gitea.listRuns(
                            a.text("owner"),
                            a.text("repo"),
                            a.optText("workflow_file"),
                            a.optText("status"),
                            a.integer("limit", 20)));
                }));
        t.add(new ToolDef(
                "get_gitea_workflow_run",
                "Get a workflow run",
                "A run of a managed build repository and its jobs (with their ids for get_gitea_job_logs).",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(
                        Param.required("owner", STRING, OWNER),
                        Param.required("repo", STRING, REPO),
                        Param.required("run_id", NUMERIC_ID, "the run's id")),
                OutputSchemas.of(RunWithJobs.class),
                (a, actor) -> {
                    bootstrap.requireManaged(a.text("owner"), a.text("repo"));
                    return gitea.run(a.text("owner"), a.text("repo"), a.numericId("run_id"));
                }));
        t.add(new ToolDef(
                "get_gitea_job_logs",
                "Tail a job's log",
                "The last lines of a job's log.",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(
                        Param.required("owner", STRING, OWNER),
                        Param.required("repo", STRING, REPO),
                        Param.required("job_id", NUMERIC_ID, "the job's id (from get_gitea_workflow_run)"),
                        Param.optional("tail", INTEGER, "how many lines from the end, 1-10000 (default 200)")),
                OutputSchemas.of(JobLog.class),
                (a, actor) -> {
                    bootstrap.requireManaged(a.text("owner"), a.text("repo"));
                    return gitea.jobLogs(
                            a.text("owner"), a.text("repo"), a.numericId("job_id"), a.integer("tail", 200));
                }));
        t.add(new ToolDef(
                "list_ci_bootstraps",
                "List CI bootstraps",
                "What each label's last bootstrap_disk_image_ci set up (never a secret).",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(),
                OutputSchemas.listOf(CiBootstrapRecord.class),
                (a, actor) -> ListResponse.of(bootstrap.list())));
        t.add(new ToolDef(
                "list_ci_workers",
                "List CI workers",
                "The ci_worker rows (never a token).",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(),
                OutputSchemas.listOf(WorkerView.class),
                (a, actor) -> ListResponse.of(workers.list(WorkerRole.CI_WORKER).stream()
                        .map(WorkerView::of)
                        .toList())));

        // --- webhooks
        t.add(new ToolDef(
                "system_list_disk_image_webhooks",
                "List webhook deliveries",
                "Inbound webhook deliveries, newest first, with their verdict and reason (a bad signature, a"
                        + " replay, a refused announcement...). recent: the last 24 hours only.",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(
                        Param.optional("recent", BOOLEAN, "only the last 24 hours"),
                        Param.optional("webhook_id", UUID, "only deliveries to this webhook"),
                        Param.optional("page", INTEGER, "page, from 1"),
                        Param.optional("per_page", INTEGER, "rows per page, 1-200 (default 50)")),
                OutputSchemas.listOf(WebhookDelivery.class),
                (a, actor) ->
                        ListResponse.of(deliveries.list(a.flag("recent"), a.optUuid("webhook_id"), a.page()), d -> d)));
        t.add(new ToolDef(
                "list_disk_image_webhook_endpoints",
                "List webhooks",
                "The provisioned webhooks by label, each with its URL and last delivery (never its secret).",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(
                        Param.optional("page", INTEGER, "page, from 1"),
                        Param.optional("per_page", INTEGER, "rows per page, 1-200 (default 50)")),
                OutputSchemas.listOf(EndpointView.class),
                (a, actor) -> ListResponse.of(webhooks.list(a.page()), EndpointView::of)));

        // --- publications, promotion, history
        t.add(new ToolDef(
                "list_disk_image_publications",
                "List publications",
                "Disk image publications, newest first, optionally of one platform, status, arch or family.",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(
                        Param.optional("node_platform_id", STRING, PLATFORM),
                        Param.optionalOneOf("status", "publication status", values(PublicationStatus.values())),
                        Param.optionalOneOf("arch", "architecture", values(Arch.values())),
                        Param.optionalOneOf("family", "artifact family", values(ArtifactFamily.values())),
                        Param.optional("page", INTEGER, "page, from 1"),
                        Param.optional("per_page", INTEGER, "rows per page, 1-200 (default 50)")),
                OutputSchemas.listOf(PublicationView.class),
                (a, actor) -> {
                    String platform = a.optText("node_platform_id");
                    java.util.UUID platformId = platform == null
                            ? null
                            : platforms
                                    .find(platform)
                                    .map(NodePlatform::id)
                                    .orElseThrow(() -> DomainException.invalid(
                                            "node_platform_id", "no node platform '" + platform + "'"));
                    PublicationQuery query = new PublicationQuery(
                            platformId,
                            parse(a.optText("status"), s -> PublicationStatus.parse("status", s)),
                            parse(a.optText("arch"), s -> Arch.parse("arch", s)),
                            parse(a.optText("family"), s -> ArtifactFamily.parse("family", s)));
                    return ListResponse.of(publications.list(query, a.page()), PublicationView::of);
                }));
        t.add(new ToolDef(
                "get_disk_image_publication",
                "Get a publication",
                "One publication as the spec serializes it: status, digests, provenance, attestation surface,"
                        + " error_message when it failed.",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(Param.required("publication_id", UUID, "the publication's id")),
                OutputSchemas.of(PublicationView.class),
                (a, actor) -> PublicationView.of(publications.get(a.uuid("publication_id")))));
        t.add(new ToolDef(
                "get_disk_image_publication_history",
                "Get a publication's history",
                "Every state change of one publication, oldest first, with actor and reason.",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(Param.required("publication_id", UUID, "the publication's id")),
                OutputSchemas.listOf(TransitionView.class),
                (a, actor) -> ListResponse.of(publications.history(a.uuid("publication_id")).stream()
                        .map(TransitionView::of)
                        .toList())));
        t.add(new ToolDef(
                "system_set_default_disk_image_publication",
                "Promote or roll back",
                "Makes a publication (status published, or retired with its artifact still there) the current one"
                        + " of its (family, arch) on the platform: promote, or roll back to an earlier one. The"
                        + " previous current one is retired; nodes move to the new pointer. Setting the current"
                        + " one again changes nothing.",
                Scope.DISK_IMAGES_WRITE,
                Hints.DESTRUCTIVE_IDEMPOTENT,
                List.of(
                        Param.required("node_platform_id", STRING, PLATFORM),
                        Param.required("publication_id", UUID, "the publication to make current")),
                OutputSchemas.of(PublicationView.class),
                (a, actor) -> PublicationView.of(publications.setDefault(
                        platforms.resolve(a.text("node_platform_id")).id(), a.uuid("publication_id"), actor))));

        // --- platforms, retention, audit, fleet
        t.add(new ToolDef(
                "list_node_platforms",
                "List node platforms",
                "Node platforms with their current pointer, last publication outcome and retention count.",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(
                        Param.optional("page", INTEGER, "page, from 1"),
                        Param.optional("per_page", INTEGER, "rows per page, 1-200 (default 50)")),
                OutputSchemas.listOf(NodePlatformView.class),
                (a, actor) -> ListResponse.of(platforms.list(a.page()), NodePlatformView::of)));
        t.add(new ToolDef(
                "get_node_platform",
                "Get a node platform",
                "One node platform: verification policy, retention count, primary triple, current pointer.",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(Param.required("node_platform_id", STRING, PLATFORM)),
                OutputSchemas.of(NodePlatformView.class),
                (a, actor) -> NodePlatformView.of(platforms.resolve(a.text("node_platform_id")))));
        t.add(new ToolDef(
                "update_node_platform_retention",
                "Set a platform's retention count",
                "How many publications per (family, arch) retention keeps on the platform, the current one counted"
                        + " first (1-100). Lowering it lets the next retention run purge more.",
                Scope.DISK_IMAGES_WRITE,
                Hints.DESTRUCTIVE_IDEMPOTENT,
                List.of(
                        Param.required("node_platform_id", STRING, PLATFORM),
                        Param.required("disk_image_retention_count", INTEGER, "publications to keep, 1-100")),
                OutputSchemas.of(NodePlatformView.class),
                (a, actor) -> {
                    NodePlatform target = platforms.resolve(a.text("node_platform_id"));
                    NodePlatformChanges change = new NodePlatformChanges(
                            null,
                            null,
                            null,
                            null,
                            null,
                            null,
                            Optional.of(a.integer("disk_image_retention_count", 0)),
                            null,
                            null);
                    return NodePlatformView.of(platforms.update(target.id(), change));
                }));
        t.add(new ToolDef(
                "get_node_platform_audit",
                "Get a platform's audit trail",
                "Pointer changes and state transitions of a platform's publications, newest first.",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(
                        Param.required("node_platform_id", STRING, PLATFORM),
                        Param.optional("page", INTEGER, "page, from 1"),
                        Param.optional("per_page", INTEGER, "rows per page, 1-200 (default 50)")),
                OutputSchemas.listOf(AuditView.class),
                (a, actor) -> ListResponse.of(
                        publications.audit(
                                platforms.resolve(a.text("node_platform_id")).id(), a.page()),
                        AuditView::of)));
        t.add(new ToolDef(
                "get_retention_plan",
                "Plan retention",
                "What a retention run now would purge or keep, and why (dry run; changes nothing).",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(Param.optional("node_platform_id", STRING, PLATFORM + "; absent: every platform")),
                OutputSchemas.listOf(RetentionCandidate.class),
                (a, actor) -> ListResponse.of(retention.plan(optionalPlatform(platforms, a)))));
        t.add(new ToolDef(
                "run_retention",
                "Run retention",
                "Purges now what get_retention_plan lists to purge: the rows and their registry artifacts.",
                Scope.DISK_IMAGES_WRITE,
                Hints.DESTRUCTIVE_IDEMPOTENT,
                List.of(Param.optional("node_platform_id", STRING, PLATFORM + "; absent: every platform")),
                OutputSchemas.of(RetentionReport.class),
                (a, actor) -> retention.run(optionalPlatform(platforms, a))));
        t.add(new ToolDef(
                "get_fleet_convergence",
                "Get fleet convergence",
                "Per (family, arch) of the platform: how many live nodes run the current publication, which other"
                        + " publications the rest run, how many never reported, are unhealthy or stale.",
                Scope.DISK_IMAGES_READ,
                Hints.READ_ONLY,
                List.of(Param.required("node_platform_id", STRING, PLATFORM)),
                OutputSchemas.listOf(ConvergenceView.class),
                (a, actor) -> ListResponse.of(nodes.convergence(a.text("node_platform_id")).stream()
                        .map(ConvergenceView::of)
                        .toList())));
        this.all = List.copyOf(t);
    }

    List<ToolDef> all() {
        return all;
    }

    private static java.util.@Nullable UUID optionalPlatform(NodePlatforms platforms, Args a) {
        String platform = a.optText("node_platform_id");
        return platform == null ? null : platforms.resolve(platform).id();
    }

    private static <T> @Nullable T parse(@Nullable String value, java.util.function.Function<String, T> parse) {
        return value == null ? null : parse.apply(value);
    }

    private static List<String> values(WireEnum.Valued[] values) {
        return Arrays.stream(values).map(WireEnum.Valued::value).toList();
    }
}
