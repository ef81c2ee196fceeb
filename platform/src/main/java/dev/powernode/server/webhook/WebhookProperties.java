package dev.powernode.server.webhook;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The inbound webhook.
 *
 * @param window how far the timestamp may be from the platform's clock
 * @param maxBody larger bodies are refused (and recorded) with 413
 * @param deliveryMaxAge recorded deliveries older than this are deleted by the retention job
 * @param ratePerAddress calls per second one source address may make (token bucket; 0 = no limit)
 * @param burstPerAddress how many calls one source address may make at once
 * @param ratePerWebhook calls per second one webhook may receive (0 = no limit)
 * @param burstPerWebhook how many calls one webhook may receive at once
 */
@ConfigurationProperties("powernode.webhook")
public record WebhookProperties(
        Duration window,
        DataSize maxBody,
        Duration deliveryMaxAge,
        Double ratePerAddress,
        Integer burstPerAddress,
        Double ratePerWebhook,
        Integer burstPerWebhook) {
    public WebhookProperties {
        window = window == null ? Duration.ofSeconds(300) : window;
        maxBody = maxBody == null ? DataSize.ofKilobytes(64) : maxBody;
        deliveryMaxAge = deliveryMaxAge == null ? Duration.ofDays(30) : deliveryMaxAge;
        ratePerAddress = ratePerAddress == null ? 50.0 : ratePerAddress;
        burstPerAddress = burstPerAddress == null ? 200 : burstPerAddress;
        ratePerWebhook = ratePerWebhook == null ? 20.0 : ratePerWebhook;
        burstPerWebhook = burstPerWebhook == null ? 100 : burstPerWebhook;
    }
}
