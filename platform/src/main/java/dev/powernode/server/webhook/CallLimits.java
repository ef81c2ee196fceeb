package dev.powernode.server.webhook;

import dev.powernode.server.shared.RateLimited;
import dev.powernode.server.shared.Text;
import dev.powernode.server.shared.TokenBuckets;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * What the receiver does about traffic it does not record as deliveries, so anonymous callers
 * cannot fill the table (docs/threat-model.md): rate limits per source address and per webhook
 * (429, counted), and calls to unknown webhook ids (counted, and at most one log line per {@link
 * #UNKNOWN_LOG_INTERVAL}).
 */
@Component
class CallLimits {
    /** At most one log line per this interval about calls to unknown webhooks. */
    static final Duration UNKNOWN_LOG_INTERVAL = Duration.ofMinutes(1);

    private static final Logger log = LoggerFactory.getLogger(CallLimits.class);

    private final TokenBuckets perAddress;
    private final TokenBuckets perWebhook;
    private final Counter unknownCalls;
    private final Counter throttledByAddress;
    private final Counter throttledByWebhook;
    private final AtomicLong nextUnknownLog = new AtomicLong();
    private final AtomicLong unknownSinceLog = new AtomicLong();

    CallLimits(WebhookProperties config, MeterRegistry meters, Clock clock) {
        this.perAddress = new TokenBuckets(config.ratePerAddress(), config.burstPerAddress(), clock);
        this.perWebhook = new TokenBuckets(config.ratePerWebhook(), config.burstPerWebhook(), clock);
        this.unknownCalls = Counter.builder("powernode.webhook.unknown")
                .description("calls to webhook ids that name no webhook (not recorded as deliveries)")
                .register(meters);
        this.throttledByAddress = throttled(meters, "address");
        this.throttledByWebhook = throttled(meters, "webhook");
    }

    private static Counter throttled(MeterRegistry meters, String limit) {
        return Counter.builder("powernode.webhook.throttled")
                .description("webhook calls refused with 429 (not recorded as deliveries)")
                .tag("limit", limit)
                .register(meters);
    }

    /** Takes a token for {@code source} (the peer's address), or throws 429 {@code webhook/rate-limited}. */
    void takeForAddress(String source) {
        long wait = perAddress.take(source == null ? "" : source);
        if (wait > 0) {
            throttledByAddress.increment();
            throw new RateLimited(
                    "webhook/rate-limited", "too many webhook calls from this address; retry in " + wait + " s", wait);
        }
    }

    /**
     * Takes a token for the webhook, or throws 429. Only calls that carry its secret spend it: its
     * URL is not a secret, and forged calls taking from it would keep the real runner at 429 (the
     * address limit applies to everyone).
     */
    void takeForWebhook(UUID webhookId) {
        long wait = perWebhook.take(webhookId.toString());
        if (wait > 0) {
            throttledByWebhook.increment();
            throw new RateLimited(
                    "webhook/rate-limited", "too many calls to this webhook; retry in " + wait + " s", wait);
        }
    }

    /** An anonymous call to an id that names no webhook: a metric and, at most once a minute, a log line. */
    void unknown(String source, String webhookPath, Instant now) {
        unknownCalls.increment();
        long calls = unknownSinceLog.incrementAndGet();
        long due = nextUnknownLog.get();
        if (now.toEpochMilli() >= due
                && nextUnknownLog.compareAndSet(
                        due, now.plus(UNKNOWN_LOG_INTERVAL).toEpochMilli())) {
            unknownSinceLog.addAndGet(-calls);
            log.warn(
                    "{} call(s) to unknown webhook ids since the last report; latest from {} for '{}'",
                    calls,
                    Text.printable(source, 64),
                    Text.printable(webhookPath, 64));
        }
    }
}
