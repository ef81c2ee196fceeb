package dev.powernode.server.api;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * A servlet filter that serves one route prefix ahead of Spring Security and MVC and lets every
 * other request pass untouched: the webhook intake (HMAC-authenticated) and the worker API
 * (worker-token authenticated).
 */
abstract class RouteFilter extends OncePerRequestFilter {
    private final String prefix;

    RouteFilter(String prefix) {
        this.prefix = prefix;
    }

    final boolean serves(HttpServletRequest request) {
        return request.getRequestURI().startsWith(prefix);
    }

    @Override
    protected final boolean shouldNotFilter(HttpServletRequest request) {
        return !serves(request);
    }
}
