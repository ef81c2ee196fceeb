package dev.powernode.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Gitea's Actions API for tests, as two real parts: <a href="https://stoplight.io/open-source/prism">
 * Stoplight Prism</a> (npm {@code @stoplight/prism-cli}, pinned in {@code testkit/gitea}) in proxy
 * mode, validating every request (and answer) against Gitea 1.26.3's own API description
 * ({@code testkit/gitea/gitea-swagger.v1.json}, a copy of the shared contract), in front of a small
 * stateful stub here that keeps secrets, runs, jobs and logs, and answers where the description is
 * silent or wrong the way the real server does (registration token and error bodies, text logs).
 *
 * <p>Clients point at {@link #url()} (Gitea's root; they add {@code /api/v1}). {@link
 * #requestViolations()} returns what Prism found wrong with the requests it saw; a test asserts it
 * is empty.
 */
public final class GiteaMock implements AutoCloseable {
    public static final String TOOL_DIR = "testkit/gitea";
    private static final Duration STARTUP = Duration.ofSeconds(90);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A request the stub received: method, path (with query) and body. */
    public record Request(String method, String path, String body) {}

    /** A secret as the stub keeps it: Gitea's API never answers the value, tests may read it here. */
    public record Secret(String data, String description, Instant createdAt) {}

    private final String token;
    private final HttpServer stub;
    private final Process prism;
    private final Path spec;
    private final URI url;
    private final List<String> prismLog = Collections.synchronizedList(new ArrayList<>());
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Map<String, Secret>> secrets = new ConcurrentHashMap<>();
    private final Map<String, Boolean> repos = new ConcurrentHashMap<>();
    private final Map<Long, ObjectNode> runs = new ConcurrentHashMap<>();
    private final Map<Long, ObjectNode> jobs = new ConcurrentHashMap<>();
    private final Map<Long, String> logs = new ConcurrentHashMap<>();
    private final Map<String, Integer> faults = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong(100);
    private final List<String> registrationTokens = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean returnsRunDetails = true;

    private GiteaMock(String token, HttpServer stub, Process prism, Path spec, URI url) {
        this.token = token;
        this.stub = stub;
        this.prism = prism;
        this.spec = spec;
        this.url = url;
    }

    /** Fails with instructions when Prism is not installed. */
    public static void ensureInstalled() {
        Path tool = SigstoreMock.repositoryRoot().resolve(TOOL_DIR);
        if (!Files.isRegularFile(tool.resolve("node_modules/@stoplight/prism-cli/dist/index.js"))) {
            throw new IllegalStateException("Prism is not installed in " + tool.resolve("node_modules") + ": run "
                    + TOOL_DIR + "/install.sh (scripts/test.sh does); it needs node and npm");
        }
    }

    /** Starts the stub and Prism in front of it; {@code token} is the one access token Gitea accepts. */
    public static GiteaMock start(String token) {
        ensureInstalled();
        Path tool = SigstoreMock.repositoryRoot().resolve(TOOL_DIR);
        HttpServer stub;
        Path spec;
        try {
            stub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            spec = prefixedSpec(tool.resolve("gitea-swagger.v1.json"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the Gitea stub: " + e.getMessage(), e);
        }
        int port = freePort();
        Process prism;
        try {
            prism = new ProcessBuilder(
                            SigstoreMock.nodeBinary(),
                            tool.resolve("node_modules/@stoplight/prism-cli/dist/index.js")
                                    .toString(),
                            "proxy",
                            spec.toString(),
                            "http://127.0.0.1:" + stub.getAddress().getPort(),
                            "--host",
                            "127.0.0.1",
                            "--port",
                            Integer.toString(port))
                    .directory(tool.toFile())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            stub.stop(0);
            throw new IllegalStateException("cannot start Prism: " + e.getMessage(), e);
        }
        GiteaMock mock = new GiteaMock(token, stub, prism, spec, URI.create("http://127.0.0.1:" + port));
        stub.createContext("/", mock::handle);
        stub.start();
        CountDownLatch listening = new CountDownLatch(1);
        Thread pump = new Thread(
                () -> {
                    try (BufferedReader r =
                            new BufferedReader(new InputStreamReader(prism.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line; (line = r.readLine()) != null; ) {
                            mock.prismLog.add(line);
                            if (line.contains("Prism is listening")) {
                                listening.countDown();
                            }
                        }
                    } catch (IOException e) {
                        // the process ended
                    }
                },
                "prism-log-" + prism.pid());
        pump.setDaemon(true);
        pump.start();
        try {
            if (!listening.await(STARTUP.toSeconds(), TimeUnit.SECONDS)) {
                mock.close();
                throw new IllegalStateException("Prism did not start in " + STARTUP.toSeconds() + " s: "
                        + String.join(
                                "\n",
                                mock.prismLog.subList(Math.max(0, mock.prismLog.size() - 20), mock.prismLog.size())));
            }
        } catch (InterruptedException e) {
            mock.close();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while Prism started", e);
        }
        return mock;
    }

    /**
     * The shared description with {@code /api/v1} in front of every path: Prism ignores {@code
     * basePath}, and clients call Gitea's real paths.
     */
    private static Path prefixedSpec(Path original) throws IOException {
        ObjectNode doc = (ObjectNode) JSON.readTree(original.toFile());
        ObjectNode paths = JSON.createObjectNode();
        for (Map.Entry<String, JsonNode> e : doc.get("paths").properties()) {
            paths.set("/api/v1" + e.getKey(), e.getValue());
        }
        doc.set("paths", paths);
        doc.put("basePath", "/");
        Path out = Files.createTempFile("gitea-swagger-", ".json");
        JSON.writeValue(out.toFile(), doc);
        return out;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port: " + e.getMessage(), e);
        }
    }

    /** Gitea's root URL (Prism); clients add {@code /api/v1}. */
    public URI url() {
        return url;
    }

    /**
     * What Prism found wrong with the requests it proxied: a request our client sends that Gitea's
     * description does not allow (a wrong path, parameter, type, body or authentication scheme).
     */
    public List<String> requestViolations() {
        synchronized (prismLog) {
            return prismLog.stream()
                    .filter(l -> l.contains("Violation: request"))
                    .toList();
        }
    }

    /** Forgets what Prism logged so far (after a test that sent a bad request on purpose). */
    public GiteaMock forgetLog() {
        prismLog.clear();
        return this;
    }

    /** Every request the stub received, in order. */
    public List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** Makes {@code owner/repo} exist. */
    public GiteaMock repository(String owner, String repo) {
        repos.put(owner + "/" + repo, true);
        return this;
    }

    /** The repository's secrets as written (names and values). */
    public Map<String, Secret> secrets(String owner, String repo) {
        return Map.copyOf(secrets.getOrDefault(owner + "/" + repo, Map.of()));
    }

    /** The registration tokens handed out, in order. */
    public List<String> registrationTokens() {
        synchronized (registrationTokens) {
            return List.copyOf(registrationTokens);
        }
    }

    /**
     * Answers {@code status} (with Gitea's error body) to every request whose {@code METHOD path}
     * (no query) matches {@code regex}, until cleared with {@link #clearFaults()}.
     */
    public GiteaMock fail(String regex, int status) {
        faults.put(regex, status);
        return this;
    }

    public GiteaMock clearFaults() {
        faults.clear();
        return this;
    }

    /** false: dispatch answers 204 with no run details, as Gitea before 1.26 does. */
    public GiteaMock returnsRunDetails(boolean yes) {
        returnsRunDetails = yes;
        return this;
    }

    /** Sets a job's log text. */
    public GiteaMock log(long jobId, String text) {
        logs.put(jobId, text);
        return this;
    }

    /** Marks a run (and its jobs) completed with {@code conclusion}. */
    public GiteaMock complete(long runId, String conclusion) {
        ObjectNode run = runs.get(runId);
        if (run != null) {
            run.put("status", "completed")
                    .put("conclusion", conclusion)
                    .put("completed_at", Instant.now().toString());
            jobs.values().stream()
                    .filter(j -> j.get("run_id").asLong() == runId)
                    .forEach(j -> j.put("status", "completed")
                            .put("conclusion", conclusion)
                            .put("completed_at", Instant.now().toString()));
        }
        return this;
    }

    /** The ids of the jobs of a run. */
    public List<Long> jobIds(long runId) {
        return jobs.values().stream()
                .filter(j -> j.get("run_id").asLong() == runId)
                .map(j -> j.get("id").asLong())
                .sorted()
                .toList();
    }

    private static final Pattern REPO = Pattern.compile("^/api/v1/repos/([^/]+)/([^/]+)(/.*)?$");

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String method = x.getRequestMethod();
            String path = x.getRequestURI().getRawPath();
            String query = x.getRequestURI().getRawQuery();
            String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Request(method, path + (query == null ? "" : "?" + query), body));
            for (Map.Entry<String, Integer> f : faults.entrySet()) {
                if ((method + " " + path).matches(f.getKey())) {
                    error(x, f.getValue(), "injected " + f.getValue());
                    return;
                }
            }
            String auth = x.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !auth.equals("token " + token)) {
                error(x, 401, "user does not exist [uid: 0, name: ]");
                return;
            }
            Map<String, String> q = query(query);
            Matcher org = Pattern.compile("^/api/v1/orgs/([^/]+)/actions/runners/registration-token$")
                    .matcher(path);
            if (org.matches() && method.equals("POST")) {
                registration(x);
                return;
            }
            Matcher m = REPO.matcher(path);
            if (!m.matches()) {
                error(x, 404, "not found");
                return;
            }
            String key = decode(m.group(1)) + "/" + decode(m.group(2));
            String rest = m.group(3) == null ? "" : m.group(3);
            if (!repos.containsKey(key)) {
                error(x, 404, "The target couldn't be found.");
                return;
            }
            route(x, method, key, rest, q, body);
        } catch (RuntimeException e) {
            error(x, 500, e.toString());
        }
    }

    private void route(HttpExchange x, String method, String key, String rest, Map<String, String> q, String body)
            throws IOException {
        Matcher secret = Pattern.compile("^/actions/secrets/([^/]+)$").matcher(rest);
        Matcher dispatch =
                Pattern.compile("^/actions/workflows/([^/]+)/dispatches$").matcher(rest);
        Matcher run = Pattern.compile("^/actions/runs/(\\d+)$").matcher(rest);
        Matcher runJobs = Pattern.compile("^/actions/runs/(\\d+)/jobs$").matcher(rest);
        Matcher log = Pattern.compile("^/actions/jobs/(\\d+)/logs$").matcher(rest);
        if (rest.isEmpty() && method.equals("GET")) {
            json(x, 200, repositoryJson(key));
        } else if (secret.matches() && method.equals("PUT")) {
            JsonNode b = JSON.readTree(body);
            Map<String, Secret> of = secrets.computeIfAbsent(key, k -> new ConcurrentHashMap<>());
            String name = decode(secret.group(1)).toUpperCase(java.util.Locale.ROOT);
            Secret old = of.put(
                    name,
                    new Secret(
                            b.path("data").asString(""), b.path("description").asString(""), Instant.now()));
            empty(x, old == null ? 201 : 204);
        } else if (secret.matches() && method.equals("DELETE")) {
            Map<String, Secret> of = secrets.getOrDefault(key, new ConcurrentHashMap<>());
            if (of.remove(decode(secret.group(1)).toUpperCase(java.util.Locale.ROOT)) == null) {
                error(x, 404, "secret not found");
            } else {
                empty(x, 204);
            }
        } else if (rest.equals("/actions/secrets") && method.equals("GET")) {
            List<Map<String, Object>> list = new ArrayList<>();
            secrets.getOrDefault(key, Map.of()).entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .forEach(e -> list.add(Map.of(
                            "name", e.getKey(),
                            "description", e.getValue().description(),
                            "created_at", e.getValue().createdAt().toString())));
            json(x, 200, JSON.valueToTree(page(list, q)));
        } else if (rest.equals("/actions/runners/registration-token") && method.equals("POST")) {
            registration(x);
        } else if (dispatch.matches() && method.equals("POST")) {
            JsonNode b = JSON.readTree(body);
            if (!b.hasNonNull("ref") || b.get("ref").asString().isBlank()) {
                error(x, 422, "ref is required");
                return;
            }
            long runId = newRun(key, decode(dispatch.group(1)), b.get("ref").asString());
            if (returnsRunDetails && "true".equals(q.get("return_run_details"))) {
                ObjectNode d = JSON.createObjectNode();
                d.put("workflow_run_id", runId);
                d.put("run_url", url + "/api/v1/repos/" + key + "/actions/runs/" + runId);
                d.put("html_url", url + "/" + key + "/actions/runs/" + runId);
                json(x, 200, d);
            } else {
                empty(x, 204);
            }
        } else if (rest.equals("/actions/runs") && method.equals("GET")) {
            List<ObjectNode> list = runs.values().stream()
                    .filter(r -> r.get("repository_id").asLong() == repoId(key))
                    .filter(r -> q.get("status") == null || matchesStatus(r, q.get("status")))
                    .sorted((a, b) ->
                            Long.compare(b.get("id").asLong(), a.get("id").asLong()))
                    .toList();
            ObjectNode out = JSON.createObjectNode();
            out.put("total_count", list.size());
            out.set("workflow_runs", JSON.valueToTree(page(list, q)));
            json(x, 200, out);
        } else if (run.matches() && method.equals("GET")) {
            ObjectNode r = runs.get(Long.parseLong(run.group(1)));
            if (r == null || r.get("repository_id").asLong() != repoId(key)) {
                error(x, 404, "run not found");
            } else {
                json(x, 200, r);
            }
        } else if (runJobs.matches() && method.equals("GET")) {
            long runId = Long.parseLong(runJobs.group(1));
            if (!runs.containsKey(runId)) {
                error(x, 404, "run not found");
                return;
            }
            List<ObjectNode> list = jobs.values().stream()
                    .filter(j -> j.get("run_id").asLong() == runId)
                    .sorted((a, b) ->
                            Long.compare(a.get("id").asLong(), b.get("id").asLong()))
                    .toList();
            ObjectNode out = JSON.createObjectNode();
            out.put("total_count", list.size());
            out.set("jobs", JSON.valueToTree(page(list, q)));
            json(x, 200, out);
        } else if (log.matches() && method.equals("GET")) {
            String text = logs.get(Long.parseLong(log.group(1)));
            if (text == null) {
                error(x, 404, "job not found");
                return;
            }
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            x.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
            x.getResponseBody().write(bytes);
        } else {
            error(x, 404, "not found");
        }
    }

    private void registration(HttpExchange x) throws IOException {
        String t = "reg" + Long.toHexString(ids.incrementAndGet()) + Long.toHexString(System.nanoTime());
        registrationTokens.add(t);
        ObjectNode n = JSON.createObjectNode();
        n.put("token", t);
        json(x, 200, n);
    }

    private static boolean matchesStatus(ObjectNode r, String status) {
        String s = r.get("status").asString();
        String c = r.path("conclusion").asString("");
        return switch (status) {
            case "success", "failure", "cancelled", "skipped" -> c.equals(status);
            default -> s.equals(status);
        };
    }

    private long newRun(String key, String workflowFile, String ref) {
        long runId = ids.incrementAndGet();
        String now = Instant.now().toString();
        ObjectNode r = JSON.createObjectNode();
        r.put("id", runId);
        r.put("repository_id", repoId(key));
        r.put("path", workflowFile + "@" + (ref.startsWith("refs/") ? ref : "refs/heads/" + ref));
        r.put("event", "workflow_dispatch");
        r.put("display_title", workflowFile);
        r.put("status", "queued");
        r.put("conclusion", "");
        r.put("head_branch", ref.replaceFirst("^refs/(heads|tags)/", ""));
        r.put("head_sha", "0123456789abcdef0123456789abcdef01234567");
        r.put("run_number", runs.size() + 1);
        r.put("run_attempt", 1);
        r.put("url", url + "/api/v1/repos/" + key + "/actions/runs/" + runId);
        r.put("html_url", url + "/" + key + "/actions/runs/" + runId);
        r.put("started_at", now);
        runs.put(runId, r);
        for (String name : List.of("build-amd64-uefi", "build-arm64-uefi")) {
            long jobId = ids.incrementAndGet();
            ObjectNode j = JSON.createObjectNode();
            j.put("id", jobId);
            j.put("run_id", runId);
            j.put("name", name);
            j.put("status", "queued");
            j.put("conclusion", "");
            j.set("labels", JSON.valueToTree(List.of("debian-12")));
            j.put("runner_name", "");
            j.put("started_at", now);
            ObjectNode step = JSON.createObjectNode();
            step.put("number", 1);
            step.put("name", "Set up job");
            step.put("status", "queued");
            step.put("conclusion", "");
            j.set("steps", JSON.createArrayNode().add(step));
            jobs.put(jobId, j);
            logs.putIfAbsent(jobId, "");
        }
        return runId;
    }

    private static long repoId(String key) {
        return (key.hashCode() & 0x7fffffffL) + 1;
    }

    private static ObjectNode repositoryJson(String key) {
        ObjectNode n = JSON.createObjectNode();
        n.put("id", repoId(key));
        n.put("full_name", key);
        n.put("name", key.substring(key.indexOf('/') + 1));
        return n;
    }

    private static <T> List<T> page(List<T> all, Map<String, String> q) {
        int limit = Math.max(1, Math.min(50, parse(q.get("limit"), 30)));
        int page = Math.max(1, parse(q.get("page"), 1));
        int from = Math.min(all.size(), (page - 1) * limit);
        return all.subList(from, Math.min(all.size(), from + limit));
    }

    private static int parse(String s, int fallback) {
        try {
            return s == null ? fallback : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new LinkedHashMap<>();
        if (raw != null) {
            for (String part : raw.split("&")) {
                int eq = part.indexOf('=');
                if (eq > 0) {
                    q.put(decode(part.substring(0, eq)), decode(part.substring(eq + 1)));
                }
            }
        }
        return q;
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    private static void json(HttpExchange x, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        x.getResponseHeaders().set("Content-Type", "application/json;charset=utf-8");
        x.sendResponseHeaders(status, bytes.length);
        x.getResponseBody().write(bytes);
    }

    private static void empty(HttpExchange x, int status) throws IOException {
        x.sendResponseHeaders(status, -1);
    }

    /** Gitea's error body: {@code {"message": ..., "url": ...}}. */
    private static void error(HttpExchange x, int status, String message) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("message", message);
        n.put("url", "https://gitea.example.org/api/swagger");
        json(x, status, n);
    }

    @Override
    public void close() {
        ChildProcesses.stop(prism, Duration.ZERO);
        stub.stop(0);
        try {
            Files.deleteIfExists(spec);
        } catch (IOException e) {
            // a temp file
        }
    }
}
