package dev.powernode.server.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.servlet.ConfigurableServletWebServerFactory;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.FileSystemUtils;

/**
 * Gives each test context one temporary directory for what the service writes to disk (Tomcat's
 * document directory, {@code powernode.home}) and deletes it when the context closes, so a test run
 * leaves nothing behind in {@code /tmp} or the user's home. Tomcat's base directory goes under
 * {@code target/tomcat}: Tomcat creates it again while it is destroyed, after the last hook.
 */
public final class ServerTempDir implements ApplicationContextInitializer<ConfigurableApplicationContext> {
    @Override
    public void initialize(ConfigurableApplicationContext context) {
        Path dir;
        Path docBase;
        try {
            dir = Files.createTempDirectory("powernode-test-server");
            docBase = Files.createDirectories(dir.resolve("docbase"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        context.getEnvironment()
                .getPropertySources()
                .addFirst(new MapPropertySource(
                        "powernode-test-server-dir",
                        Map.of(
                                // not in dir: Tomcat re-creates its base directory while it is
                                // destroyed, after every hook a test can run; target/ is build output
                                "server.tomcat.basedir",
                                Path.of("target", "tomcat", dir.getFileName().toString())
                                        .toAbsolutePath()
                                        .toString(),
                                "powernode.home",
                                dir.resolve("home").toString())));
        WebServerFactoryCustomizer<ConfigurableServletWebServerFactory> documentRoot =
                factory -> factory.setDocumentRoot(docBase.toFile());
        context.getBeanFactory().registerSingleton("testServerDocumentRoot", documentRoot);
        // deleted when the context destroys its beans: after the web server has stopped, so Tomcat
        // writes nothing into it afterwards (at ContextClosedEvent it was still running)
        ((DefaultListableBeanFactory) context.getBeanFactory()).registerDisposableBean("testServerTempDir", () -> {
            try {
                FileSystemUtils.deleteRecursively(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
