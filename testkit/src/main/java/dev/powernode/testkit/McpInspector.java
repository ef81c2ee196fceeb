package dev.powernode.testkit;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.json.JsonMapper;

/**
 * The official MCP Inspector's CLI ({@code @modelcontextprotocol/inspector-cli}, pinned in
 * testkit/mcp-inspector/package-lock.json) as a real client of an MCP server, over Streamable HTTP
 * or over stdio: each call runs it once, as an operator would from a shell.
 */
public final class McpInspector {
    static final String TOOL_DIR = "testkit/mcp-inspector";
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** What one run printed: the JSON answer on stdout (exit 0), or why it failed on stderr. */
    public record Result(int exitCode, String stdout, String stderr) {}

    private final List<String> target;
    private final Map<String, String> env;

    private McpInspector(List<String> target, Map<String, String> env) {
        this.target = target;
        this.env = env;
    }

    /** Over Streamable HTTP, sending {@code Authorization: Bearer token} when a token is given. */
    public static McpInspector http(URI endpoint, String token) {
        List<String> t = new ArrayList<>(List.of(endpoint.toString(), "--transport", "http"));
        if (token != null) {
            t.addAll(List.of("--header", "Authorization: Bearer " + token));
        }
        return new McpInspector(t, Map.of());
    }

    /** Over stdio: the inspector starts {@code command} with {@code env} added to its environment. */
    public static McpInspector stdio(List<String> command, Map<String, String> env) {
        // the program first, its arguments after "--" (the inspector would take them for its own options)
        List<String> t = new ArrayList<>(List.of(command.get(0), "--transport", "stdio", "--"));
        t.addAll(command.subList(1, command.size()));
        return new McpInspector(t, env);
    }

    public Result listTools() {
        return run(List.of("--method", "tools/list"));
    }

    /**
     * {@code tools/call}; each argument is passed as {@code --tool-arg name=value}, a string as it is and
     * anything else as JSON (the inspector parses a value as JSON when it can).
     */
    public Result callTool(String tool, Map<String, Object> arguments) {
        List<String> a = new ArrayList<>(List.of("--method", "tools/call", "--tool-name", tool));
        arguments.forEach((name, value) -> {
            a.add("--tool-arg");
            a.add(name + "=" + (value instanceof String s ? s : JSON.writeValueAsString(value)));
        });
        return run(a);
    }

    private Result run(List<String> method) {
        Path build = SigstoreMock.repositoryRoot()
                .resolve(TOOL_DIR)
                .resolve("node_modules/@modelcontextprotocol/inspector-cli/build");
        if (!Files.isRegularFile(build.resolve("index.js"))) {
            throw new IllegalStateException("the MCP Inspector is not installed in " + build + ": run " + TOOL_DIR
                    + "/install.sh (scripts/test.sh does); it needs node and npm");
        }
        List<String> command = new ArrayList<>(List.of("node", "index.js"));
        // the method's options before any "--" (a --tool-arg list would swallow what follows it)
        int dashes = target.indexOf("--");
        if (dashes < 0) {
            command.addAll(target);
            command.addAll(method);
        } else {
            command.addAll(target.subList(0, dashes));
            command.addAll(method);
            command.addAll(target.subList(dashes, target.size()));
        }
        // index.js finds its own package.json relative to the working directory: run it from there
        ProcessBuilder pb = new ProcessBuilder(command).directory(build.toFile());
        pb.environment().putAll(env);
        Process p = null;
        try {
            p = pb.start();
            p.getOutputStream().close();
            Process started = p;
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(started.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(started.getErrorStream()));
            if (!p.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                throw new IllegalStateException("the MCP Inspector did not finish in " + TIMEOUT + ": " + command);
            }
            return new Result(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
        } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("running the MCP Inspector failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            if (p != null && p.isAlive()) {
                ChildProcesses.stop(p, Duration.ofSeconds(2));
            }
        }
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
