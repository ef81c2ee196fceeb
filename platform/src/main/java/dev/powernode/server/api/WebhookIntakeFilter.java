package dev.powernode.server.api;

import dev.powernode.common.webhook.WebhookSignature;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
import dev.powernode.server.webhook.Receipt;
import dev.powernode.server.webhook.WebhookReceiver;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;

/**
 * {@code POST /api/v1/system/webhooks/disk_image/built/{webhook_id}}, served straight from the
 * servlet filter chain. The route is authenticated by its HMAC signature, so bearer-token
 * security and MVC dispatch add nothing but cost, and this is the route CI fleets hammer; the
 * request log, the problem+json error format and the security headers are the same as everywhere
 * else. The caller's address for the per-address rate limit is the servlet's remote address
 * (behind a proxy, configure {@code server.forward-headers-strategy} so it is the client's).
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
class WebhookIntakeFilter extends RouteFilter {
    static final String PREFIX = "/api/v1/system/webhooks/disk_image/built/";
    private static final Logger log = LoggerFactory.getLogger(WebhookIntakeFilter.class);
    private static final Problem ONLY_POST =
            Problem.of(405, "http/405", "only POST is supported here").withHeader("Allow", "POST");

    private final WebhookReceiver receiver;

    WebhookIntakeFilter(WebhookReceiver receiver, ProblemWriter problems) {
        super(PREFIX, problems);
        this.receiver = receiver;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI();
        SecurityHeaders.apply(response);
        if (!"POST".equals(request.getMethod())) {
            refuse(request, response, ONLY_POST);
            return;
        }
        String webhookId = path.substring(PREFIX.length());
        try {
            byte[] body;
            try (InputStream in = request.getInputStream()) {
                body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, receiver.maxBody() + 1));
            }
            Receipt receipt = receiver.receive(
                    request.getRemoteAddr(),
                    webhookId,
                    request.getHeader(WebhookSignature.DELIVERY_HEADER),
                    request.getHeader(WebhookSignature.TIMESTAMP_HEADER),
                    request.getHeader(WebhookSignature.SIGNATURE_HEADER),
                    body);
            byte[] out = receipt.body().getBytes(StandardCharsets.UTF_8);
            response.setStatus(receipt.status());
            response.setContentType(MediaType.APPLICATION_JSON_VALUE);
            response.setContentLength(out.length);
            response.getOutputStream().write(out);
        } catch (DomainException e) {
            refuse(request, response, Problem.of(e));
        } catch (RuntimeException e) {
            log.error("unexpected error receiving a webhook on {}", path, e);
            refuse(request, response, Problem.unexpected());
        }
    }
}
