package dev.powernode.server.api;

import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Function;

/**
 * A route authenticated by an opaque bearer token of our own (a worker's, a node's) rather than an
 * operator JWT: the principal the token names is handed to the controller as request attribute
 * {@code attribute}; a missing, unknown or refused token is the 401 {@code unauthenticated}.
 */
abstract class BearerTokenFilter<T> extends RouteFilter {
    private final String attribute;
    private final Problem unauthenticated;
    private final Function<String, Optional<T>> authenticate;

    BearerTokenFilter(
            String prefix,
            String attribute,
            Problem unauthenticated,
            Function<String, Optional<T>> authenticate,
            ProblemWriter problems) {
        super(prefix, problems);
        this.attribute = attribute;
        this.unauthenticated = unauthenticated;
        this.authenticate = authenticate;
    }

    @Override
    protected final void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        Optional<T> principal = header != null && header.startsWith("Bearer ")
                ? authenticate.apply(header.substring(7).strip())
                : Optional.empty();
        if (principal.isEmpty()) {
            refuse(request, response, unauthenticated);
            return;
        }
        request.setAttribute(attribute, principal.get());
        chain.doFilter(request, response);
    }
}
