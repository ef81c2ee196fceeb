package dev.powernode.server.support;

import java.util.Map;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;

/** Points the service at the database scripts/test.sh created for this run. */
public final class TestDatabase implements ApplicationContextInitializer<ConfigurableApplicationContext> {
    public static String url() {
        return System.getProperty("powernode.test.db.url", "jdbc:postgresql://127.0.0.1:5432/powernode_test");
    }

    public static String user() {
        return System.getProperty("powernode.test.db.user", "powernode_test");
    }

    public static String password() {
        return System.getProperty("powernode.test.db.password", "powernode_test");
    }

    @Override
    public void initialize(ConfigurableApplicationContext context) {
        context.getEnvironment()
                .getPropertySources()
                .addFirst(new MapPropertySource(
                        "powernode-test-db",
                        Map.of(
                                "spring.datasource.url", url(),
                                "spring.datasource.username", user(),
                                "spring.datasource.password", password())));
    }
}
