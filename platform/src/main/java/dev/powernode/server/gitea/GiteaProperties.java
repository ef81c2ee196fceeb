package dev.powernode.server.gitea;

import java.net.URI;
import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where Gitea is and how the platform authenticates to it.
 *
 * @param url Gitea's root URL (e.g. {@code https://gitea.example.org}; the client adds {@code
 *     /api/v1}); unset = the Gitea actions answer 503 {@code gitea/not-configured}
 * @param token an access token of a user who administers the build repositories (scopes {@code
 *     write:repository}, and {@code write:organization} for organisation runner tokens), sent as
 *     {@code Authorization: token ...}
 * @param timeout how long one call may take, connection included
 */
@ConfigurationProperties("powernode.gitea")
public record GiteaProperties(@Nullable URI url, @Nullable String token, Duration timeout) {
    public GiteaProperties {
        timeout = timeout == null ? Duration.ofSeconds(30) : timeout;
        if (url != null && url.toString().isBlank()) {
            url = null;
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
    }
}
