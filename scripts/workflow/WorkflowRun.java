import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * Runs one job of a Gitea Actions workflow here, the way act_runner in host mode would (scripts/
 * workflow-run.sh drives it): the checkout as a {@code git clone} of the repository into a fresh
 * workspace, then each {@code run:} step in order with {@code bash -e -o pipefail}, in that
 * workspace, with the environment a runner gives (GITHUB_* and GITEA_* variables, the runner's own
 * variables, the workflow's, the job's and the step's {@code env}, with {@code ${{ secrets.* }}},
 * {@code vars.*}, {@code inputs.*} and {@code github.*} filled in), under the job's timeout.
 * Anything it cannot do as a runner would (another action, an {@code if:}, an expression it does not
 * know) is an error, not a skipped step. JDK plus SnakeYAML only; a single-file program.
 *
 * <p>Args: WORKFLOW_FILE JOB REPOSITORY_DIR WORKSPACE_DIR CONTEXT_FILE. CONTEXT_FILE is a properties
 * file: {@code secrets.NAME}, {@code vars.NAME}, {@code inputs.NAME}, {@code runner_env.NAME} (the
 * runner's configured variables), {@code github.repository}, {@code github.ref}, {@code
 * github.event_name}.
 */
public class WorkflowRun {
    static final Pattern EXPRESSION = Pattern.compile("\\$\\{\\{\\s*(.*?)\\s*}}");
    static final Pattern OPERAND = Pattern.compile("(secrets|vars|inputs|github|env)\\.([A-Za-z_][A-Za-z0-9_]*)|'([^']*)'");
    static final Set<String> STEP_KEYS = Set.of("name", "run", "uses", "env", "id");
    static final Set<String> JOB_KEYS = Set.of("runs-on", "timeout-minutes", "steps", "env", "name");

    public static void main(String[] a) throws Exception {
        if (a.length != 5) {
            System.err.println("usage: WorkflowRun WORKFLOW_FILE JOB REPOSITORY_DIR WORKSPACE_DIR CONTEXT_FILE");
            System.exit(2);
        }
        try {
            System.exit(run(Path.of(a[0]), a[1], Path.of(a[2]), Path.of(a[3]), Path.of(a[4])));
        } catch (WorkflowError e) {
            System.err.println("workflow-run: " + e.getMessage());
            System.exit(1);
        }
    }

    static final class WorkflowError extends RuntimeException {
        WorkflowError(String message) {
            super(message);
        }
    }

    @SuppressWarnings("unchecked")
    static int run(Path workflowFile, String jobName, Path repository, Path workspace, Path contextFile)
            throws Exception {
        Map<String, Object> workflow;
        try (Reader r = Files.newBufferedReader(workflowFile)) {
            workflow = (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
        }
        Properties context = new Properties();
        try (Reader r = Files.newBufferedReader(contextFile)) {
            context.load(r);
        }
        Map<String, Object> jobs = (Map<String, Object>) workflow.get("jobs");
        if (jobs == null || !(jobs.get(jobName) instanceof Map)) {
            throw new WorkflowError("no job '" + jobName + "' in " + workflowFile + " (jobs: "
                    + (jobs == null ? "none" : jobs.keySet()) + ")");
        }
        Map<String, Object> job = (Map<String, Object>) jobs.get(jobName);
        for (String key : job.keySet()) {
            if (!JOB_KEYS.contains(key)) {
                throw new WorkflowError("job " + jobName + ": '" + key + "' is not something this harness runs");
            }
        }
        Duration timeout = Duration.ofMinutes(((Number) job.getOrDefault("timeout-minutes", 360)).longValue());
        Instant deadline = Instant.now().plus(timeout);

        String sha = git(repository, "rev-parse", "HEAD").strip();
        String repoName = context.getProperty("github.repository", "ops/disk-images");
        String ref = context.getProperty("github.ref", "refs/heads/main");
        Map<String, String> github = new LinkedHashMap<>();
        github.put("repository", repoName);
        github.put("repository_owner", repoName.substring(0, repoName.indexOf('/')));
        github.put("ref", ref);
        github.put("ref_name", ref.replaceFirst("^refs/(heads|tags)/", ""));
        github.put("sha", sha);
        github.put("event_name", context.getProperty("github.event_name", "workflow_dispatch"));
        github.put("run_id", Long.toString(System.currentTimeMillis() / 1000));
        github.put("run_number", "1");
        github.put("job", jobName);
        github.put("workflow", String.valueOf(workflow.getOrDefault("name", workflowFile.getFileName())));
        github.put("workspace", workspace.toString());
        github.put("server_url", context.getProperty("github.server_url", "http://127.0.0.1:3000"));

        // what act_runner puts in every step's environment
        Map<String, String> base = new LinkedHashMap<>();
        base.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        base.put("HOME", System.getenv().getOrDefault("HOME", "/root"));
        base.put("LANG", "C.UTF-8");
        base.put("CI", "true");
        base.put("GITHUB_ACTIONS", "true");
        base.put("GITEA_ACTIONS", "true");
        github.forEach((k, v) -> base.put("GITHUB_" + k.toUpperCase(), v));
        base.put("GITHUB_API_URL", github.get("server_url") + "/api/v1");
        base.put("RUNNER_OS", "Linux");
        base.put("RUNNER_ARCH", "X64");
        // beside the workspace, so whoever removes the one removes the other
        Path runnerTemp = Files.createDirectories(workspace.toAbsolutePath().resolveSibling("runner-temp"));
        base.put("RUNNER_TEMP", runnerTemp.toString());
        for (String name : context.stringPropertyNames()) {
            if (name.startsWith("runner_env.")) {
                base.put(name.substring("runner_env.".length()), context.getProperty(name));
            }
        }

        // the env context holds what the workflow and the job declare, not the runner's variables
        Map<String, String> declared = new LinkedHashMap<>();
        declared.putAll(evaluateAll((Map<String, Object>) workflow.get("env"), context, github, declared, "env"));
        declared.putAll(evaluateAll((Map<String, Object>) job.get("env"), context, github, declared, jobName + ".env"));

        List<Map<String, Object>> steps = (List<Map<String, Object>>) job.get("steps");
        int n = 0;
        Instant jobStart = Instant.now();
        for (Map<String, Object> step : steps) {
            n++;
            for (String key : step.keySet()) {
                if (!STEP_KEYS.contains(key)) {
                    throw new WorkflowError("step " + n + ": '" + key + "' is not something this harness runs");
                }
            }
            String name = String.valueOf(step.getOrDefault("name", step.getOrDefault("uses", "step " + n)));
            Instant start = Instant.now();
            System.out.printf("::group::%s / %d. %s%n", jobName, n, name);
            System.out.flush();
            if (step.containsKey("uses")) {
                String uses = String.valueOf(step.get("uses"));
                if (!uses.matches("actions/checkout@v[0-9]+")) {
                    throw new WorkflowError("step " + n + " uses " + uses + ": only actions/checkout is run here");
                }
                // the checkout: the repository at the run's commit, cloned into the empty workspace
                Files.createDirectories(workspace);
                try (var entries = Files.list(workspace)) {
                    if (entries.findAny().isPresent()) {
                        throw new WorkflowError("the workspace " + workspace + " is not empty");
                    }
                }
                exec(List.of("git", "clone", "--quiet", "--no-hardlinks", repository.toString(), workspace.toString()),
                        repository, base, deadline);
                exec(List.of("git", "-c", "advice.detachedHead=false", "checkout", "--quiet", sha), workspace, base, deadline);
            } else {
                Map<String, String> stepDeclared = new LinkedHashMap<>(declared);
                stepDeclared.putAll(
                        evaluateAll((Map<String, Object>) step.get("env"), context, github, declared, name + ".env"));
                String script = evaluate(String.valueOf(step.get("run")), context, github, stepDeclared, name + ".run");
                Map<String, String> stepEnv = new LinkedHashMap<>(base);
                stepEnv.putAll(stepDeclared);
                Path file = Files.createTempFile(runnerTemp, "step-", ".sh");
                Files.writeString(file, script);
                int exit = exec(
                        List.of("bash", "--noprofile", "--norc", "-e", "-o", "pipefail", file.toString()),
                        workspace,
                        stepEnv,
                        deadline);
                if (exit != 0) {
                    System.out.println("::endgroup::");
                    System.out.printf("FAILED %s / %d. %s: exit %d after %.1f s%n", jobName, n, name, exit, seconds(start));
                    return 1;
                }
            }
            System.out.println("::endgroup::");
            System.out.printf("ok %s / %d. %s (%.1f s)%n", jobName, n, name, seconds(start));
            System.out.flush();
        }
        System.out.printf("job %s succeeded: %d steps in %.1f s%n", jobName, n, seconds(jobStart));
        return 0;
    }

    static double seconds(Instant since) {
        return Duration.between(since, Instant.now()).toMillis() / 1000.0;
    }

    static Map<String, String> evaluateAll(
            Map<String, Object> values, Properties context, Map<String, String> github, Map<String, String> env, String where) {
        Map<String, String> out = new LinkedHashMap<>();
        if (values != null) {
            values.forEach((k, v) -> out.put(k, evaluate(v == null ? "" : String.valueOf(v), context, github, env, where + "." + k)));
        }
        return out;
    }

    /** Fills in every {@code ${{ expression }}}: operands joined by {@code ||} (the first non-empty). */
    static String evaluate(String text, Properties context, Map<String, String> github, Map<String, String> env, String where) {
        Matcher m = EXPRESSION.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String value = "";
            for (String operand : m.group(1).split("\\|\\|")) {
                Matcher o = OPERAND.matcher(operand.strip());
                if (!o.matches()) {
                    throw new WorkflowError(where + ": the expression '" + m.group(1) + "' is not one this harness evaluates");
                }
                String v;
                if (o.group(3) != null) {
                    v = o.group(3);
                } else {
                    v = switch (o.group(1)) {
                        case "github" -> github.getOrDefault(o.group(2), "");
                        case "env" -> env.getOrDefault(o.group(2), "");
                        default -> context.getProperty(o.group(1) + "." + o.group(2), "");
                    };
                }
                if (!v.isEmpty()) {
                    value = v;
                    break;
                }
            }
            m.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    static int exec(List<String> command, Path dir, Map<String, String> env, Instant deadline) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        Process p = pb.start();
        Thread pump = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    System.out.println("  " + line);
                }
            } catch (IOException e) {
                // the process ended
            }
        });
        pump.start();
        long left = Duration.between(Instant.now(), deadline).toMillis();
        if (!p.waitFor(Math.max(1, left), TimeUnit.MILLISECONDS)) {
            // as a runner cancels: SIGTERM first, so the step's traps (build.sh's unmounts) run
            List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
            tree.forEach(ProcessHandle::destroy);
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                tree.forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            throw new WorkflowError("the job's timeout-minutes ran out during: " + String.join(" ", command));
        }
        pump.join(10_000);
        return p.exitValue();
    }

    static String git(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("git", "-C", dir.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new WorkflowError("git " + String.join(" ", args) + " in " + dir + ": " + out.strip());
        }
        return out;
    }
}
