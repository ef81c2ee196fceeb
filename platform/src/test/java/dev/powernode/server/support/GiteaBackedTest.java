package dev.powernode.server.support;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.testkit.GiteaMock;
import org.junit.jupiter.api.AfterEach;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A service test against Gitea's API as its own description gives it (the test kit's
 * {@link GiteaMock}: Prism in front of a stateful stub). One mock serves the whole run and every
 * class extending this shares one Spring context; each test ends by checking that no request the
 * service made broke Gitea's description.
 */
@IntegrationTest
public abstract class GiteaBackedTest {
    public static final String GITEA_TOKEN = "platform-gitea-token";
    private static GiteaMock gitea;

    @DynamicPropertySource
    static void gitea(DynamicPropertyRegistry registry) {
        registry.add("powernode.gitea.url", () -> gitea().url().toString());
        registry.add("powernode.gitea.token", () -> GITEA_TOKEN);
        registry.add("powernode.ci.registry-username", () -> "builder");
        registry.add("powernode.ci.registry-token", () -> "registry-password");
    }

    /** The run's Gitea, with the repository ops/disk-images; stopped when the test JVM exits. */
    public static synchronized GiteaMock gitea() {
        if (gitea == null) {
            GiteaMock started = GiteaMock.start(GITEA_TOKEN).repository("ops", "disk-images");
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "gitea-mock-stop"));
            gitea = started;
        }
        return gitea;
    }

    @AfterEach
    void noRequestBrokeGiteasDescription() {
        gitea().clearFaults();
        assertThat(gitea().requestViolations()).isEmpty();
    }
}
