package dev.powernode.server.api;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * Limits of the HTTP API.
 *
 * @param maxRequestBody request bodies over this size are refused with 413
 */
@ConfigurationProperties("powernode")
public record ApiProperties(DataSize maxRequestBody) {
    public ApiProperties {
        if (maxRequestBody == null) {
            maxRequestBody = DataSize.ofMegabytes(1);
        }
    }
}
