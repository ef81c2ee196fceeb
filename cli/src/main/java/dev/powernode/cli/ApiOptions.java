package dev.powernode.cli;

import picocli.CommandLine.Option;

/** Where the platform API is and which token to send; both fall back to environment variables. */
final class ApiOptions {
    @Option(
            names = "--api-url",
            description = "Platform base URL (env POWERNODE_API_URL, default http://127.0.0.1:8080).")
    String apiUrl;

    @Option(names = "--token", description = "Bearer token (env POWERNODE_TOKEN).")
    String token;

    ApiClient client() {
        String url = apiUrl != null ? apiUrl : env("POWERNODE_API_URL", "http://127.0.0.1:8080");
        String bearer = token != null ? token : env("POWERNODE_TOKEN", null);
        if (bearer == null || bearer.isBlank()) {
            throw new CliException("no API token: pass --token or set POWERNODE_TOKEN", 2);
        }
        return new ApiClient(url, bearer);
    }

    private static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : v;
    }
}
