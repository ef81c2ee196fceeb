package dev.powernode.server.gitea;

import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.shared.Text;
import dev.powernode.server.shared.Violations;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Gitea Actions API, as the platform uses it: repository secrets, runner registration tokens,
 * workflow dispatch, runs, their jobs and job logs. Every call authenticates with {@code
 * powernode.gitea.token}; every argument is checked here before a call (Gitea's own rules for
 * secret names included), and every failure names the Gitea endpoint and what it answered:
 *
 * <ul>
 *   <li>not configured: 503 {@code gitea/not-configured}; unreachable, timed out or a 5xx: 503 {@code
 *       gitea/unavailable}
 *   <li>401: 502 {@code gitea/unauthorized} (the platform's token); 403: 502 {@code gitea/forbidden}
 *       (its scopes or its user's rights)
 *   <li>404: 404 {@code gitea/not-found}; 400/422: 422 {@code gitea/rejected}; 409: 409 {@code
 *       gitea/conflict}
 * </ul>
 */
@Service
public class GiteaActions {
    private static final Logger log = LoggerFactory.getLogger(GiteaActions.class);
    /** Gitea's user, organisation and repository names. */
    static final Pattern NAME = Pattern.compile("^[A-Za-z0-9_.-]{1,100}$");
    /** Gitea's rule for Actions secret (and variable) names. */
    static final Pattern SECRET_NAME = Pattern.compile("^[A-Z_][A-Z0-9_]*$");

    static final Pattern WORKFLOW_FILE = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,254}\\.ya?ml$");
    /** The run statuses Gitea's run list filters on. */
    static final Set<String> RUN_STATUSES =
            Set.of("pending", "queued", "in_progress", "failure", "success", "skipped", "cancelled", "waiting");

    static final int MAX_SECRET_BYTES = 64 * 1024;
    static final int MAX_JSON_BYTES = 8 * 1024 * 1024;
    static final int MAX_TAIL = 10_000;
    /** A log line is kept to this many characters (the rest of it is read and dropped). */
    static final int MAX_LINE = 2048;
    /** The most of a log read to find its tail. */
    static final long MAX_LOG_BYTES = 256L * 1024 * 1024;

    private static final int PAGE = 50;

    private final GiteaProperties config;
    private final JsonMapper json;
    private final Clock clock;
    private final HttpClient http;
    /** Closes an answer's body that is still being read when its deadline passes. */
    private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "gitea-read-deadline");
                t.setDaemon(true);
                return t;
            });

    GiteaActions(GiteaProperties config, JsonMapper json, Clock clock) {
        this.config = config;
        this.json = json;
        this.clock = clock;
        this.http = HttpClient.newBuilder()
                .connectTimeout(config.timeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** Whether a Gitea URL and token are configured. */
    public boolean configured() {
        return config.url() != null && config.token() != null;
    }

    /** Checks a secret name against Gitea's rules: {@code ^[A-Z_][A-Z0-9_]*$}, no GITEA_/GITHUB_ prefix, not CI. */
    public static @Nullable String secretNameProblem(@Nullable String name) {
        if (name == null || name.isEmpty()) {
            return "is required";
        }
        if (!SECRET_NAME.matcher(name).matches()) {
            return "must match ^[A-Z_][A-Z0-9_]*$ (Gitea's rule for secret names)";
        }
        if (name.startsWith("GITEA_") || name.startsWith("GITHUB_")) {
            return "must not start with GITEA_ or GITHUB_ (reserved by Gitea)";
        }
        if (name.equals("CI")) {
            return "must not be CI (reserved by Gitea)";
        }
        return null;
    }

    /** Why {@code value} is not a Gitea user, organisation or repository name, or null when it is one. */
    public static @Nullable String nameProblem(@Nullable String value) {
        if (value == null || value.isEmpty()) {
            return "is required";
        }
        if (!NAME.matcher(value).matches() || value.equals(".") || value.equals("..")) {
            return "must be 1-100 of A-Z a-z 0-9 _ . - (a Gitea name)";
        }
        return null;
    }

    /** Creates or replaces a repository Actions secret; true when it was created. */
    public boolean putSecret(String owner, String repo, String name, String value) {
        Violations v = new Violations();
        repository(v, owner, repo);
        String problem = secretNameProblem(name);
        if (problem != null) {
            v.add("name", problem);
        }
        if (value == null || value.isEmpty()) {
            v.add("value", "is required (Gitea keeps no empty secret)");
        } else if (value.getBytes(StandardCharsets.UTF_8).length > MAX_SECRET_BYTES) {
            v.add("value", "must be at most " + MAX_SECRET_BYTES + " bytes");
        }
        v.throwIfAny();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("data", value);
        body.put("description", "set by powernode");
        Answer a = call("PUT", repoPath(owner, repo) + "/actions/secrets/" + name, body);
        return a.status() == 201;
    }

    /** Deletes a repository Actions secret; false when there was none. */
    public boolean deleteSecret(String owner, String repo, String name) {
        Violations v = new Violations();
        repository(v, owner, repo);
        String problem = secretNameProblem(name);
        if (problem != null) {
            v.add("name", problem);
        }
        v.throwIfAny();
        try {
            call("DELETE", repoPath(owner, repo) + "/actions/secrets/" + name, null);
            return true;
        } catch (DomainException e) {
            if (e.code().equals("gitea/not-found") && repositoryExists(owner, repo)) {
                return false;
            }
            throw e;
        }
    }

    /** The repository's Actions secrets, names only. */
    public List<ActionSecret> listSecrets(String owner, String repo) {
        Violations v = new Violations();
        repository(v, owner, repo);
        v.throwIfAny();
        List<ActionSecret> out = new ArrayList<>();
        for (int page = 1; page <= 20; page++) {
            JsonNode list = call(
                            "GET", repoPath(owner, repo) + "/actions/secrets?page=" + page + "&limit=" + PAGE, null)
                    .json();
            for (JsonNode s : list.values()) {
                out.add(new ActionSecret(
                        s.path("name").asString(""), text(s, "description"), instant(s, "created_at")));
            }
            if (list.size() < PAGE) {
                break;
            }
        }
        return out;
    }

    /**
     * A fresh runner registration token: for the repository, or for the organisation {@code owner}
     * when {@code repo} is null (one runner for every repository of it).
     */
    public String runnerRegistrationToken(String owner, @Nullable String repo) {
        Violations v = new Violations();
        if (repo == null) {
            name(v, "owner", owner);
        } else {
            repository(v, owner, repo);
        }
        v.throwIfAny();
        String path = repo == null
                ? "/orgs/" + owner + "/actions/runners/registration-token"
                : repoPath(owner, repo) + "/actions/runners/registration-token";
        String token = call("POST", path, null).json().path("token").asString("");
        if (token.isBlank()) {
            throw new DomainException(
                    ErrorKind.BAD_GATEWAY, "gitea/unexpected-answer", "Gitea POST " + path + " answered no token");
        }
        return token;
    }

    /**
     * Dispatches {@code workflowFile} on {@code ref} with {@code inputs}. Gitea 1.26+ answers the run
     * it started; an older one answers nothing, and the run is then looked for among the runs listed
     * right after (the newest dispatched run of that file that was not there before).
     */
    public DispatchedRun dispatch(
            String owner, String repo, String workflowFile, String ref, @Nullable Map<String, String> inputs) {
        Violations v = new Violations();
        repository(v, owner, repo);
        workflowFile(v, "workflow_file", workflowFile);
        if (ref == null || ref.isBlank()) {
            v.add("ref", "is required: the branch or tag to run the workflow on");
        } else if (ref.length() > 255 || Text.controlCharacterProblem(ref, false) != null) {
            v.add("ref", "must be at most 255 printable characters");
        }
        if (inputs != null) {
            inputs.forEach((k, val) -> {
                if (k == null || k.isBlank() || k.length() > 100) {
                    v.add("inputs", "names must be 1-100 characters");
                } else if (val == null) {
                    v.add("inputs." + k, "must be a string");
                }
            });
        }
        v.throwIfAny();
        long newestBefore = newestRunId(owner, repo);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ref", ref);
        body.put("inputs", inputs == null ? Map.of() : inputs);
        Answer a = call(
                "POST",
                repoPath(owner, repo) + "/actions/workflows/" + workflowFile + "/dispatches?return_run_details=true",
                body);
        if (a.status() == 200 && a.json().hasNonNull("workflow_run_id")) {
            return new DispatchedRun(a.json().path("workflow_run_id").asLong(), text(a.json(), "html_url"), false);
        }
        for (WorkflowRun r : listRuns(owner, repo, workflowFile, null, 10)) {
            if (r.id() > newestBefore && "workflow_dispatch".equals(r.event())) {
                return new DispatchedRun(r.id(), r.htmlUrl(), true);
            }
        }
        return new DispatchedRun(null, null, false);
    }

    /**
     * The repository's runs, newest first, at most {@code limit} (1-100): only those of {@code
     * workflowFile} when given (by the run's {@code path}), only those in {@code status} when given.
     */
    public List<WorkflowRun> listRuns(
            String owner, String repo, @Nullable String workflowFile, @Nullable String status, int limit) {
        Violations v = new Violations();
        repository(v, owner, repo);
        if (workflowFile != null) {
            workflowFile(v, "workflow_file", workflowFile);
        }
        if (status != null && !RUN_STATUSES.contains(status)) {
            v.add(
                    "status",
                    "must be one of "
                            + String.join(", ", RUN_STATUSES.stream().sorted().toList()));
        }
        if (limit < 1 || limit > 100) {
            v.add("limit", "must be 1-100");
        }
        v.throwIfAny();
        List<WorkflowRun> out = new ArrayList<>();
        // Gitea cannot filter by workflow file: read pages until enough match (at most 10 pages)
        for (int page = 1; page <= 10 && out.size() < limit; page++) {
            String query = "?page=" + page + "&limit=" + PAGE + (status == null ? "" : "&status=" + status);
            JsonNode runs = call("GET", repoPath(owner, repo) + "/actions/runs" + query, null)
                    .json()
                    .path("workflow_runs");
            for (JsonNode r : runs.values()) {
                WorkflowRun run = run(r);
                if (workflowFile == null || workflowFile.equals(run.workflowFile())) {
                    out.add(run);
                    if (out.size() == limit) {
                        break;
                    }
                }
            }
            if (runs.size() < PAGE) {
                break;
            }
        }
        return out;
    }

    /** One run and its jobs. */
    public RunWithJobs run(String owner, String repo, long runId) {
        Violations v = new Violations();
        repository(v, owner, repo);
        if (runId < 1) {
            v.add("run_id", "must be a positive integer");
        }
        v.throwIfAny();
        WorkflowRun run = run(call("GET", repoPath(owner, repo) + "/actions/runs/" + runId, null)
                .json());
        List<WorkflowJob> jobs = new ArrayList<>();
        for (int page = 1; page <= 10; page++) {
            JsonNode list = call(
                            "GET",
                            repoPath(owner, repo) + "/actions/runs/" + runId + "/jobs?page=" + page + "&limit=" + PAGE,
                            null)
                    .json()
                    .path("jobs");
            for (JsonNode j : list.values()) {
                jobs.add(job(j));
            }
            if (list.size() < PAGE) {
                break;
            }
        }
        return new RunWithJobs(run, jobs);
    }

    /** The last {@code tail} lines (1-10,000) of a job's log, read as a stream (the log may be large). */
    public JobLog jobLogs(String owner, String repo, long jobId, int tail) {
        Violations v = new Violations();
        repository(v, owner, repo);
        if (jobId < 1) {
            v.add("job_id", "must be a positive integer");
        }
        if (tail < 1 || tail > MAX_TAIL) {
            v.add("tail", "must be 1-" + MAX_TAIL);
        }
        v.throwIfAny();
        String path = repoPath(owner, repo) + "/actions/jobs/" + jobId + "/logs";
        HttpResponse<InputStream> response = send("GET", path, null, "text/plain");
        // the whole log is read to find its tail: a longer deadline than one call's, still bounded
        java.util.concurrent.ScheduledFuture<?> deadline =
                closeAfter(response.body(), config.timeout().multipliedBy(4));
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                throw failure("GET", path, response.statusCode(), readLimited(body, 64 * 1024));
            }
            ArrayDeque<String> last = new ArrayDeque<>(Math.min(tail, 1024));
            long total = 0;
            InputStream limited = new java.io.FilterInputStream(body) {
                long read;

                @Override
                public int read() throws IOException {
                    int b = super.read();
                    count(b < 0 ? 0 : 1);
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    count(Math.max(n, 0));
                    return n;
                }

                private void count(int n) throws IOException {
                    read += n;
                    if (read > MAX_LOG_BYTES) {
                        throw new IOException("the log is larger than " + MAX_LOG_BYTES / (1024 * 1024) + " MiB");
                    }
                }
            };
            try (Reader r = new InputStreamReader(limited, StandardCharsets.UTF_8)) {
                StringBuilder line = new StringBuilder();
                boolean cut = false;
                boolean any = false;
                char[] chunk = new char[8192];
                for (int n; (n = r.read(chunk)) > 0; ) {
                    for (int i = 0; i < n; i++) {
                        char c = chunk[i];
                        any = true;
                        if (c == '\n') {
                            total++;
                            keep(last, tail, line, cut);
                            line.setLength(0);
                            cut = false;
                            any = false;
                        } else if (line.length() < MAX_LINE) {
                            line.append(c);
                        } else {
                            cut = true;
                        }
                    }
                }
                if (any) {
                    total++;
                    keep(last, tail, line, cut);
                }
            }
            return new JobLog(jobId, total, List.copyOf(last));
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("the log is larger")) {
                throw new DomainException(
                        ErrorKind.BAD_GATEWAY, "gitea/answer-too-large", "Gitea GET " + path + ": " + e.getMessage());
            }
            throw unavailable("GET", path, e);
        } finally {
            deadline.cancel(false);
        }
    }

    private static void keep(ArrayDeque<String> last, int tail, StringBuilder line, boolean cut) {
        if (last.size() == tail) {
            last.removeFirst();
        }
        String text = line.length() > 0 && line.charAt(line.length() - 1) == '\r'
                ? line.substring(0, line.length() - 1)
                : line.toString();
        last.addLast(cut ? text + " [cut]" : text);
    }

    /** Closes {@code body} after {@code after}: a reader blocked on it then fails instead of waiting on. */
    private static java.util.concurrent.ScheduledFuture<?> closeAfter(InputStream body, Duration after) {
        return WATCHDOG.schedule(
                () -> {
                    try {
                        body.close();
                    } catch (IOException e) {
                        // closing is all that was wanted
                    }
                },
                after.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private long newestRunId(String owner, String repo) {
        JsonNode runs = call("GET", repoPath(owner, repo) + "/actions/runs?page=1&limit=1", null)
                .json()
                .path("workflow_runs");
        return runs.isEmpty() ? 0 : runs.get(0).path("id").asLong(0);
    }

    private boolean repositoryExists(String owner, String repo) {
        try {
            call("GET", repoPath(owner, repo), null);
            return true;
        } catch (DomainException e) {
            if (e.code().equals("gitea/not-found")) {
                return false;
            }
            throw e;
        }
    }

    private record Answer(int status, JsonNode json) {}

    private Answer call(String method, String path, @Nullable Object body) {
        HttpResponse<InputStream> response = send(method, path, body, "application/json");
        int status = response.statusCode();
        String text;
        java.util.concurrent.ScheduledFuture<?> deadline = closeAfter(response.body(), config.timeout());
        try (InputStream in = response.body()) {
            text = readLimited(in, MAX_JSON_BYTES);
        } catch (AnswerTooLarge e) {
            throw new DomainException(
                    ErrorKind.BAD_GATEWAY,
                    "gitea/answer-too-large",
                    "Gitea " + method + " " + pathOnly(path) + ": " + e.getMessage());
        } catch (IOException e) {
            throw unavailable(method, path, e);
        } finally {
            deadline.cancel(false);
        }
        if (status / 100 != 2) {
            throw failure(method, path, status, text);
        }
        if (text.isBlank()) {
            return new Answer(status, json.missingNode());
        }
        try {
            return new Answer(status, json.readTree(text));
        } catch (tools.jackson.core.JacksonException e) {
            throw new DomainException(
                    ErrorKind.BAD_GATEWAY,
                    "gitea/unexpected-answer",
                    "Gitea " + method + " " + path + " answered " + status + " with a body that is not JSON");
        }
    }

    private HttpResponse<InputStream> send(String method, String path, @Nullable Object body, String accept) {
        URI base = config.url();
        String token = config.token();
        if (base == null || token == null) {
            throw new DomainException(
                    ErrorKind.UNAVAILABLE,
                    "gitea/not-configured",
                    "no Gitea is configured: set POWERNODE_GITEA_URL and POWERNODE_GITEA_TOKEN");
        }
        String root = base.toString().replaceAll("/+$", "");
        HttpRequest.BodyPublisher publisher = body == null
                ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body));
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(root + "/api/v1" + path))
                .timeout(config.timeout())
                .header("Authorization", "token " + token)
                .header("Accept", accept)
                .method(method, publisher);
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        Instant start = clock.instant();
        try {
            HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            log.debug(
                    "gitea {} {} -> {} in {} ms",
                    method,
                    pathOnly(path),
                    response.statusCode(),
                    Duration.between(start, clock.instant()).toMillis());
            return response;
        } catch (IOException e) {
            throw unavailable(method, path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unavailable(method, path, new IOException("interrupted"));
        }
    }

    private DomainException unavailable(String method, String path, IOException e) {
        String why = e instanceof java.net.http.HttpTimeoutException
                ? "timed out after " + config.timeout().toSeconds() + " s"
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new DomainException(
                ErrorKind.UNAVAILABLE,
                "gitea/unavailable",
                "Gitea at " + shown(config.url()) + " could not be reached for " + method + " " + pathOnly(path) + ": "
                        + Text.printable(why, 300));
    }

    private DomainException failure(String method, String path, int status, String body) {
        String message = giteaMessage(body);
        String call = "Gitea " + method + " " + pathOnly(path) + " answered " + status
                + (message.isEmpty() ? "" : ": " + message);
        return switch (status) {
            case 401 ->
                new DomainException(
                        ErrorKind.BAD_GATEWAY,
                        "gitea/unauthorized",
                        call + " (the platform's Gitea token, POWERNODE_GITEA_TOKEN, was refused)");
            case 403 ->
                new DomainException(
                        ErrorKind.BAD_GATEWAY,
                        "gitea/forbidden",
                        call + " (the token's scopes or its user's rights on the repository do not allow it)");
            case 404 ->
                DomainException.notFound(
                        "gitea/not-found",
                        call + " (no such repository, workflow, run or job, or the token cannot see it)");
            case 409 -> DomainException.conflict("gitea/conflict", call);
            case 400, 422 -> new DomainException(ErrorKind.INVALID, "gitea/rejected", call);
            default ->
                status >= 500
                        ? new DomainException(ErrorKind.UNAVAILABLE, "gitea/unavailable", call)
                        : new DomainException(ErrorKind.BAD_GATEWAY, "gitea/unexpected-status", call);
        };
    }

    /** Gitea's error body is {@code {"message": ..., "url": ...}}; anything else is shown cut short. */
    private String giteaMessage(String body) {
        if (body.isBlank()) {
            return "";
        }
        try {
            JsonNode n = json.readTree(body);
            if (n.hasNonNull("message")) {
                return Text.printable(n.get("message").asString(), 300);
            }
        } catch (tools.jackson.core.JacksonException e) {
            // not JSON: show its start
        }
        return Text.printable(body.strip(), 200);
    }

    /** Gitea's URL as errors may show it: scheme, host and port (no user information, no path). */
    private static String shown(@Nullable URI url) {
        if (url == null) {
            return "(none)";
        }
        return url.getScheme() + "://" + url.getHost() + (url.getPort() < 0 ? "" : ":" + url.getPort());
    }

    private static String pathOnly(String path) {
        int q = path.indexOf('?');
        return q < 0 ? path : path.substring(0, q);
    }

    private static final class AnswerTooLarge extends IOException {
        AnswerTooLarge(int max) {
            super("the answer is larger than " + max + " bytes");
        }
    }

    private static String readLimited(InputStream in, int max) throws IOException {
        byte[] bytes = in.readNBytes(max + 1);
        if (bytes.length > max) {
            throw new AnswerTooLarge(max);
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static String repoPath(String owner, String repo) {
        return "/repos/" + enc(owner) + "/" + enc(repo);
    }

    private static String enc(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8);
    }

    private static void repository(Violations v, String owner, String repo) {
        name(v, "owner", owner);
        name(v, "repo", repo);
    }

    private static void name(Violations v, String field, @Nullable String value) {
        String problem = nameProblem(value);
        if (problem != null) {
            v.add(field, problem);
        }
    }

    private static void workflowFile(Violations v, String field, @Nullable String value) {
        if (value == null || value.isEmpty()) {
            v.add(field, "is required: the workflow's file name, e.g. build-disk-image.yaml");
        } else if (!WORKFLOW_FILE.matcher(value).matches()) {
            v.add(field, "must be a file name ending in .yaml or .yml, e.g. build-disk-image.yaml (not a path)");
        }
    }

    private static WorkflowRun run(JsonNode r) {
        String path = text(r, "path");
        String file = path == null ? null : path.contains("@") ? path.substring(0, path.indexOf('@')) : path;
        if (file != null && file.contains("/")) {
            file = file.substring(file.lastIndexOf('/') + 1);
        }
        return new WorkflowRun(
                r.path("id").asLong(),
                file,
                text(r, "display_title"),
                text(r, "event"),
                text(r, "status"),
                text(r, "conclusion"),
                text(r, "head_branch"),
                text(r, "head_sha"),
                r.path("run_number").asLong(0),
                text(r, "html_url"),
                instant(r, "started_at"),
                instant(r, "completed_at"));
    }

    private static WorkflowJob job(JsonNode j) {
        List<String> labels = new ArrayList<>();
        for (JsonNode l : j.path("labels").values()) {
            labels.add(l.asString(""));
        }
        List<WorkflowJob.Step> steps = new ArrayList<>();
        for (JsonNode s : j.path("steps").values()) {
            steps.add(new WorkflowJob.Step(
                    s.path("number").asLong(0),
                    text(s, "name"),
                    text(s, "status"),
                    text(s, "conclusion"),
                    instant(s, "started_at"),
                    instant(s, "completed_at")));
        }
        return new WorkflowJob(
                j.path("id").asLong(),
                j.path("run_id").asLong(0),
                text(j, "name"),
                text(j, "status"),
                text(j, "conclusion"),
                labels,
                text(j, "runner_name"),
                instant(j, "started_at"),
                instant(j, "completed_at"),
                steps);
    }

    private static @Nullable String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v == null || v.isNull() || v.asString("").isEmpty() ? null : v.asString();
    }

    /** Gitea's timestamps (RFC 3339); its zero time (year 1) means unset. */
    private static @Nullable Instant instant(JsonNode n, String field) {
        String s = text(n, field);
        if (s == null) {
            return null;
        }
        try {
            Instant i = OffsetDateTime.parse(s).toInstant();
            return i.isBefore(Instant.parse("1970-01-02T00:00:00Z")) ? null : i;
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
