package dev.powernode.server.api;

import dev.powernode.server.shared.Ids;
import dev.powernode.server.shared.ProblemWriter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Outermost filter: gives every request a correlation id (the caller's {@code X-Request-Id} when
 * it is sane, else a fresh one), echoes it, and logs one structured line per request.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class RequestLogFilter extends OncePerRequestFilter {
    private static final Logger log = LoggerFactory.getLogger("powernode.request");
    private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String incoming = request.getHeader("X-Request-Id");
        String requestId = incoming != null && SANE_ID.matcher(incoming).matches()
                ? incoming
                : Ids.newId().toString();
        MDC.put(ProblemWriter.REQUEST_ID, requestId);
        response.setHeader("X-Request-Id", requestId);
        long start = System.nanoTime();
        try {
            chain.doFilter(request, response);
        } finally {
            long micros = (System.nanoTime() - start) / 1_000;
            log.atInfo()
                    .addKeyValue("http.method", request.getMethod())
                    .addKeyValue("url.path", request.getRequestURI())
                    .addKeyValue("http.status", response.getStatus())
                    .addKeyValue("duration_ms", micros / 1000.0)
                    .addKeyValue("client.address", request.getRemoteAddr())
                    .log("{} {} -> {}", request.getMethod(), request.getRequestURI(), response.getStatus());
            MDC.remove(ProblemWriter.REQUEST_ID);
        }
    }
}
