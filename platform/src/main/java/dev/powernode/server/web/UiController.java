package dev.powernode.server.web;

import dev.powernode.common.token.Scope;
import dev.powernode.server.auth.IssuedToken;
import dev.powernode.server.auth.Scopes;
import dev.powernode.server.bootstrap.CiBootstrap;
import dev.powernode.server.ci.WorkerRole;
import dev.powernode.server.ci.Workers;
import dev.powernode.server.events.OutboundEvents;
import dev.powernode.server.gitea.GiteaActions;
import dev.powernode.server.gitea.JobLog;
import dev.powernode.server.gitea.RunWithJobs;
import dev.powernode.server.gitea.WorkflowJob;
import dev.powernode.server.gitea.WorkflowRun;
import dev.powernode.server.node.Nodes;
import dev.powernode.server.platform.NodePlatform;
import dev.powernode.server.platform.NodePlatformChanges;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.publication.DiskImagePublication;
import dev.powernode.server.publication.PublicationQuery;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.retention.RetentionPolicy;
import dev.powernode.server.retention.RetentionReport;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.PageRequest;
import dev.powernode.server.views.AuditView;
import dev.powernode.server.views.ConvergenceView;
import dev.powernode.server.views.EndpointView;
import dev.powernode.server.views.NodePlatformView;
import dev.powernode.server.views.NodeView;
import dev.powernode.server.views.PublicationView;
import dev.powernode.server.views.WorkerView;
import dev.powernode.server.webhook.DiskImageWebhooks;
import dev.powernode.server.webhook.WebhookDeliveries;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseBody;

/**
 * The operator pages: the platforms at a glance, a platform's publications as a timeline with its
 * rollback chain, and "make current" (promote or roll back) behind a confirmation. A read-only
 * session sees no action; the routes that act need disk_images:write (WebSecurityConfiguration).
 */
@Controller
class UiController {
    private static final int TIMELINE = 100;

    private final Sessions sessions;
    private final NodePlatforms platforms;
    private final Publications publications;
    private final Nodes nodes;
    private final RetentionPolicy retention;
    private final DiskImageWebhooks webhooks;
    private final WebhookDeliveries deliveries;
    private final Workers workers;
    private final OutboundEvents events;
    private final CiBootstrap bootstrap;
    private final GiteaActions gitea;

    UiController(
            Sessions sessions,
            NodePlatforms platforms,
            Publications publications,
            Nodes nodes,
            RetentionPolicy retention,
            DiskImageWebhooks webhooks,
            WebhookDeliveries deliveries,
            Workers workers,
            OutboundEvents events,
            CiBootstrap bootstrap,
            GiteaActions gitea) {
        this.sessions = sessions;
        this.platforms = platforms;
        this.publications = publications;
        this.nodes = nodes;
        this.retention = retention;
        this.webhooks = webhooks;
        this.deliveries = deliveries;
        this.workers = workers;
        this.events = events;
        this.bootstrap = bootstrap;
        this.gitea = gitea;
    }

    @GetMapping("/ui/login")
    String loginPage() {
        return "ui/login";
    }

    @PostMapping("/ui/login")
    String login(
            @RequestParam(required = false) String token,
            HttpServletRequest request,
            HttpServletResponse response,
            Model model) {
        try {
            IssuedToken session = sessions.open(token);
            response.addHeader("Set-Cookie", Sessions.cookie(session, request.isSecure()));
            return "redirect:/ui";
        } catch (Sessions.Refused e) {
            response.setStatus(401);
            model.addAttribute("error", e.getMessage());
            return "ui/login";
        }
    }

    @PostMapping("/ui/logout")
    String logout(Authentication auth, HttpServletRequest request, HttpServletResponse response) {
        if (auth instanceof JwtAuthenticationToken jwt && jwt.getToken().getId() != null) {
            sessions.close(jwt.getToken().getId());
        }
        response.addHeader("Set-Cookie", Sessions.clearCookie(request.isSecure()));
        return "redirect:/ui/login";
    }

    /** A platform with what is current on it and how many of its nodes run that. */
    record PlatformCard(NodePlatformView platform, List<PublicationView> current, long nodes, long onCurrent) {}

    @GetMapping("/ui")
    String platforms(Authentication auth, Model model) {
        List<PlatformCard> cards = platforms.list(new PageRequest(1, PageRequest.MAX_PER_PAGE)).items().stream()
                .map(p -> {
                    List<ConvergenceView> fleet = nodes.convergence(p.id().toString()).stream()
                            .map(ConvergenceView::of)
                            .toList();
                    return new PlatformCard(
                            NodePlatformView.of(p),
                            publications.current(p.id()).stream()
                                    .map(PublicationView::of)
                                    .toList(),
                            fleet.stream().mapToLong(ConvergenceView::total).sum(),
                            fleet.stream().mapToLong(ConvergenceView::onCurrent).sum());
                })
                .toList();
        session(auth, model);
        model.addAttribute("cards", cards);
        return "ui/platforms";
    }

    /**
     * One publication in the timeline: {@code whyNot} says why it cannot be made current (shown on
     * its disabled button); {@code prior} is the publication whose artifact it replaced.
     */
    record Row(
            PublicationView p,
            @Nullable String whyNot,
            @Nullable PublicationView prior,
            String size) {}

    @GetMapping("/ui/platforms/{platform}")
    String platform(
            @PathVariable String platform,
            @RequestParam(required = false) String changed,
            Authentication auth,
            Model model) {
        NodePlatform p = platforms.resolve(platform);
        List<DiskImagePublication> all = publications
                .list(PublicationQuery.all().forPlatform(p.id()), new PageRequest(1, TIMELINE))
                .items();
        Map<UUID, DiskImagePublication> byArtifact = new HashMap<>();
        all.stream()
                .filter(x -> x.fileObjectId() != null)
                .sorted(Comparator.comparing(DiskImagePublication::createdAt))
                .forEach(x -> byArtifact.putIfAbsent(x.fileObjectId(), x));
        List<Row> rows = all.stream()
                .map(x -> new Row(
                        PublicationView.of(x),
                        x.active() ? "it is the current one" : publications.whyNotPromotable(x),
                        Optional.ofNullable(x.priorFileObjectId())
                                .map(byArtifact::get)
                                .map(PublicationView::of)
                                .orElse(null),
                        size(x.sizeBytes())))
                .toList();
        session(auth, model);
        model.addAttribute("platform", NodePlatformView.of(p));
        model.addAttribute("rows", rows);
        model.addAttribute(
                "fleet",
                nodes.convergence(p.id().toString()).stream()
                        .map(ConvergenceView::of)
                        .toList());
        model.addAttribute("changed", changed);
        model.addAttribute(
                "audit",
                publications.audit(p.id(), new PageRequest(1, 20)).items().stream()
                        .map(AuditView::of)
                        .toList());
        return "ui/platform";
    }

    /** What the timeline polls while a publication is on its way: each one's status, current flag, error. */
    record LiveStatus(
            UUID id,
            String status,
            boolean active,
            @Nullable String errorMessage) {}

    @GetMapping(path = "/ui/platforms/{platform}/status", produces = "application/json")
    @ResponseBody
    List<LiveStatus> status(@PathVariable String platform) {
        NodePlatform p = platforms.resolve(platform);
        return publications
                .list(PublicationQuery.all().forPlatform(p.id()), new PageRequest(1, TIMELINE))
                .items()
                .stream()
                .map(x -> new LiveStatus(x.id(), x.status().value(), x.active(), x.errorMessage()))
                .toList();
    }

    @GetMapping("/ui/platforms/{platform}/publications/{id}/make-current")
    String confirm(@PathVariable String platform, @PathVariable String id, Authentication auth, Model model) {
        NodePlatform p = platforms.resolve(platform);
        DiskImagePublication target = publication(p, id);
        session(auth, model);
        model.addAttribute("platform", NodePlatformView.of(p));
        model.addAttribute("target", PublicationView.of(target));
        model.addAttribute("whyNot", publications.whyNotPromotable(target));
        DiskImagePublication current = publications
                .current(p.id(), target.artifactFamily(), target.arch())
                .orElse(null);
        model.addAttribute("current", current == null ? null : PublicationView.of(current));
        // the audit's own rule: the confirmation says "roll back" exactly when the audit will
        model.addAttribute("rollback", current != null && publications.isRollback(current, target));
        return "ui/confirm";
    }

    @PostMapping("/ui/platforms/{platform}/publications/{id}/make-current")
    String makeCurrent(@PathVariable String platform, @PathVariable String id, Authentication auth) {
        NodePlatform p = platforms.resolve(platform);
        DiskImagePublication target = publication(p, id);
        publications.setDefault(p.id(), target.id(), auth.getName());
        return "redirect:/ui/platforms/" + p.slug() + "?changed=" + target.id();
    }

    /** Retention's dry run for the platform, with the run behind a button. */
    @GetMapping("/ui/platforms/{platform}/retention")
    String retentionPlan(@PathVariable String platform, Authentication auth, Model model) {
        NodePlatform p = platforms.resolve(platform);
        session(auth, model);
        model.addAttribute("platform", NodePlatformView.of(p));
        model.addAttribute("plan", retention.plan(p.id()));
        return "ui/retention";
    }

    @PostMapping("/ui/platforms/{platform}/retention")
    String retentionRun(@PathVariable String platform, Authentication auth, Model model) {
        NodePlatform p = platforms.resolve(platform);
        RetentionReport report = retention.run(p.id());
        session(auth, model);
        model.addAttribute("platform", NodePlatformView.of(p));
        model.addAttribute("plan", retention.plan(p.id()));
        model.addAttribute("report", report);
        return "ui/retention";
    }

    @PostMapping("/ui/platforms/{platform}/retention-count")
    String retentionCount(@PathVariable String platform, @RequestParam(name = "count", required = false) String count) {
        NodePlatform p = platforms.resolve(platform);
        int n;
        try {
            n = Integer.parseInt(count == null ? "" : count.strip());
        } catch (NumberFormatException e) {
            throw DomainException.invalid("disk_image_retention_count", "must be a whole number from 1 to 100");
        }
        platforms.update(
                p.id(), new NodePlatformChanges(null, null, null, null, null, null, Optional.of(n), null, null));
        return "redirect:/ui/platforms/" + p.slug();
    }

    /** The pipelines' side: webhooks with their last call, recent deliveries and their verdicts, CI workers. */
    @GetMapping("/ui/deliveries")
    String deliveries(Authentication auth, Model model) {
        session(auth, model);
        model.addAttribute(
                "endpoints",
                webhooks.list(new PageRequest(1, PageRequest.MAX_PER_PAGE)).items().stream()
                        .map(EndpointView::of)
                        .toList());
        model.addAttribute(
                "deliveries",
                deliveries.list(false, null, new PageRequest(1, 50)).items());
        model.addAttribute(
                "workers",
                workers.list(WorkerRole.CI_WORKER).stream().map(WorkerView::of).toList());
        model.addAttribute("events", events.deliveries(new PageRequest(1, 50)).items());
        return "ui/deliveries";
    }

    /** Enrolled nodes, what each last reported and when it was last seen. */
    @GetMapping("/ui/nodes")
    String nodes(Authentication auth, Model model) {
        session(auth, model);
        Map<UUID, String> slugs = new HashMap<>();
        platforms.list(new PageRequest(1, PageRequest.MAX_PER_PAGE)).items().forEach(p -> slugs.put(p.id(), p.slug()));
        model.addAttribute("slugs", slugs);
        model.addAttribute(
                "nodes",
                nodes.list(null, false, new PageRequest(1, PageRequest.MAX_PER_PAGE)).items().stream()
                        .map(NodeView::of)
                        .toList());
        return "ui/nodes";
    }

    /** A repository's recent workflow runs, as Gitea reports them. */
    record Repository(
            String owner,
            String repo,
            List<WorkflowRun> runs,
            @Nullable String error) {}

    /** The build repositories the platform bootstrapped, each with its recent runs in Gitea. */
    @GetMapping("/ui/ci")
    String ci(Authentication auth, Model model) {
        session(auth, model);
        List<Repository> repositories = bootstrap.list().stream()
                .map(b -> b.owner() + "/" + b.repo())
                .distinct()
                .map(name -> {
                    String[] parts = name.split("/", 2);
                    try {
                        return new Repository(
                                parts[0], parts[1], gitea.listRuns(parts[0], parts[1], null, null, 10), null);
                    } catch (DomainException e) {
                        return new Repository(parts[0], parts[1], List.of(), e.getMessage());
                    }
                })
                .toList();
        model.addAttribute("repositories", repositories);
        return "ui/ci";
    }

    /** The end of a job's log: its last lines as one text, how many they are and of how many. */
    record Tail(String text, int shown, long total) {}

    /** A run's jobs, each with the tail of its log. */
    @GetMapping("/ui/ci/{owner}/{repo}/runs/{runId}")
    String ciRun(
            @PathVariable String owner,
            @PathVariable String repo,
            @PathVariable long runId,
            Authentication auth,
            Model model) {
        bootstrap.requireManaged(owner, repo);
        RunWithJobs run = gitea.run(owner, repo, runId);
        Map<Long, Tail> logs = new HashMap<>();
        for (WorkflowJob job : run.jobs()) {
            try {
                JobLog log = gitea.jobLogs(owner, repo, job.id(), 60);
                logs.put(
                        job.id(),
                        new Tail(String.join("\n", log.lines()), log.lines().size(), log.totalLines()));
            } catch (DomainException e) {
                // a job that has not started has no log yet
            }
        }
        session(auth, model);
        model.addAttribute("owner", owner);
        model.addAttribute("repo", repo);
        model.addAttribute("run", run);
        model.addAttribute("logs", logs);
        return "ui/ci-run";
    }

    private DiskImagePublication publication(NodePlatform p, String id) {
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw DomainException.notFound("publication/not-found", "no disk image publication '" + id + "'");
        }
        DiskImagePublication target = publications.get(uuid);
        if (!target.nodePlatformId().equals(p.id())) {
            throw DomainException.notFound(
                    "publication/not-found", "no disk image publication '" + id + "' on " + p.slug());
        }
        return target;
    }

    /** Who is logged in and whether the pages offer actions. */
    private static void session(Authentication auth, Model model) {
        boolean canWrite = Scopes.allows(auth, Scope.DISK_IMAGES_WRITE);
        model.addAttribute("user", auth.getName());
        model.addAttribute("canWrite", canWrite);
    }

    static String size(@Nullable Long bytes) {
        if (bytes == null) {
            return "—";
        }
        if (bytes < 1024 * 1024) {
            return String.format("%.1f KiB", bytes / 1024.0);
        }
        if (bytes < 1024L * 1024 * 1024) {
            return String.format("%.1f MiB", bytes / (1024.0 * 1024));
        }
        return String.format("%.2f GiB", bytes / (1024.0 * 1024 * 1024));
    }
}
