package dev.powernode.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The platform's MCP tools over stdio, for desktop MCP clients that start their servers as a
 * process: each JSON-RPC message read from stdin (one per line) is POSTed to the platform's
 * stateless Streamable HTTP endpoint with the bearer token, and its answer is written to stdout, one
 * per line. The platform answers everything itself (initialize, tools/list, tools/call), so the
 * tools, their schemas and their errors are exactly the HTTP ones. What the HTTP layer refuses (no or
 * a bad token, an unreachable platform) becomes a JSON-RPC error for that request, and a line on
 * stderr; stdout carries only protocol messages.
 */
@Command(
        name = "mcp",
        mixinStandardHelpOptions = true,
        description = {
            "Serve the platform's MCP tools over stdio, for desktop MCP clients (docs/mcp.md).",
            "Each message read from stdin goes to the platform's /mcp endpoint with the token; each answer is"
                    + " written to stdout. Ends at the end of stdin."
        })
final class McpCommand implements Runnable {
    @Option(
            names = "--url",
            paramLabel = "URL",
            description =
                    "The platform's MCP endpoint (default: $POWERNODE_API_URL/mcp, or http://127.0.0.1:8080/mcp).")
    String url;

    @Option(
            names = "--token-env",
            paramLabel = "VAR",
            defaultValue = "POWERNODE_TOKEN",
            description = "The environment variable that holds the bearer token (default ${DEFAULT-VALUE}): the"
                    + " token never appears in arguments or client configuration.")
    String tokenEnv;

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    private volatile String protocolVersion;

    @Override
    public void run() {
        URI endpoint = endpoint();
        String token = System.getenv(tokenEnv);
        if (token == null || token.isBlank()) {
            throw new CliException("no token: $" + tokenEnv + " is not set (--token-env names the variable)", 2);
        }
        // a few calls at once: a slow one (a bootstrap) does not hold up the client's other requests
        ExecutorService calls = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "mcp-call");
            t.setDaemon(true);
            return t;
        });
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isBlank()) {
                    String message = line;
                    calls.execute(() -> forward(endpoint, token, message));
                }
            }
        } catch (IOException e) {
            throw new CliException("reading stdin failed: " + e.getMessage());
        } finally {
            calls.shutdown();
            try {
                calls.awaitTermination(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private URI endpoint() {
        String u = url;
        if (u == null) {
            String api = System.getenv("POWERNODE_API_URL");
            u = (api == null || api.isBlank() ? "http://127.0.0.1:8080" : api.replaceAll("/+$", "")) + "/mcp";
        }
        try {
            URI uri = URI.create(u);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("not http(s)");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new CliException("--url is not an http(s) URL: " + u, 2);
        }
    }

    private void forward(URI endpoint, String token, String line) {
        JsonNode message;
        try {
            message = ApiClient.JSON.readTree(line);
        } catch (JacksonException e) {
            reply(error(null, -32700, "parse error: the line is not JSON"));
            return;
        }
        JsonNode id = message.get("id");
        HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
                .timeout(Duration.ofMinutes(5))
                .header("Content-Type", "application/json")
                .header("Accept", "application/json, text/event-stream")
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(line, StandardCharsets.UTF_8));
        if (protocolVersion != null) {
            request.header("MCP-Protocol-Version", protocolVersion);
        }
        HttpResponse<String> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            refuse(id, "cannot reach " + endpoint + ": " + e.getMessage());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        int status = response.statusCode();
        String type = response.headers().firstValue("Content-Type").orElse("");
        if (status == 202) {
            return; // a notification or a response, accepted
        }
        if (status == 200 && type.startsWith("text/event-stream")) {
            for (String event : response.body().split("\r?\n\r?\n")) {
                StringBuilder data = new StringBuilder();
                for (String field : event.split("\r?\n")) {
                    if (field.startsWith("data:")) {
                        data.append(field.substring(5).stripLeading());
                    }
                }
                if (!data.isEmpty()) {
                    pass(data.toString());
                }
            }
            return;
        }
        if (status == 200) {
            pass(response.body());
            return;
        }
        refuse(id, "the platform answered " + status + problemDetail(response.body()));
    }

    /** An answer from the platform, compacted to one line; an initialize result sets the protocol version. */
    private void pass(String json) {
        try {
            JsonNode answer = ApiClient.JSON.readTree(json);
            JsonNode version = answer.path("result").path("protocolVersion");
            if (version.isString()) {
                protocolVersion = version.asString();
            }
            reply(ApiClient.JSON.writeValueAsString(answer));
        } catch (JacksonException e) {
            System.err.println("powernode mcp: the platform answered something that is not JSON; dropped");
        }
    }

    private void refuse(JsonNode id, String why) {
        System.err.println("powernode mcp: " + why);
        if (id != null && !id.isNull()) {
            reply(error(id, -32000, why));
        }
    }

    private static String problemDetail(String body) {
        try {
            JsonNode problem = ApiClient.JSON.readTree(body);
            if (problem.hasNonNull("code")) {
                return " (" + problem.get("code").asString() + ": "
                        + problem.path("detail").asString() + ")";
            }
        } catch (JacksonException e) {
            // not a problem document
        }
        return "";
    }

    private static String error(JsonNode id, int code, String message) {
        ObjectNode e = ApiClient.JSON.createObjectNode();
        e.put("jsonrpc", "2.0");
        if (id == null) {
            e.putNull("id");
        } else {
            e.set("id", id);
        }
        e.putObject("error").put("code", code).put("message", message);
        return ApiClient.JSON.writeValueAsString(e);
    }

    private void reply(String line) {
        synchronized (out) {
            out.print(line);
            out.print('\n');
            out.flush();
        }
    }
}
