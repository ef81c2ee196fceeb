package dev.powernode.server.api;

import jakarta.servlet.http.HttpServletResponse;

/**
 * The response headers Spring Security writes on every route it serves, for the responses our own
 * filters write before (or instead of) it: nothing an API answers is to be sniffed or cached.
 */
final class SecurityHeaders {
    private SecurityHeaders() {}

    static void apply(HttpServletResponse response) {
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate");
        response.setHeader("Pragma", "no-cache");
        response.setHeader("Expires", "0");
        response.setHeader("X-Frame-Options", "DENY");
    }
}
