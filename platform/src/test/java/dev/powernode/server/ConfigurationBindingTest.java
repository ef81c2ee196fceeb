package dev.powernode.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.server.api.ApiProperties;
import dev.powernode.server.auth.AuthProperties;
import dev.powernode.server.events.EventsProperties;
import dev.powernode.server.ingest.IngestProperties;
import dev.powernode.server.jobs.JobsProperties;
import dev.powernode.server.oci.RegistryProperties;
import dev.powernode.server.retention.RetentionProperties;
import dev.powernode.server.shared.ServiceProperties;
import dev.powernode.server.signing.SigningProperties;
import dev.powernode.server.upload.UploadProperties;
import dev.powernode.server.webhook.WebhookProperties;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.boot.test.context.ConfigDataApplicationContextInitializer;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
import org.springframework.util.unit.DataSize;

/**
 * Each module binds its own {@code @ConfigurationProperties} record, found by the scan the
 * application declares, from application.yml and the environment variables README
 * "Configuration" lists; an invalid value stops the start with a message naming the variable.
 */
class ConfigurationBindingTest {
    @Configuration(proxyBeanMethods = false)
    @ConfigurationPropertiesScan(basePackageClasses = PowernodeApplication.class)
    static class Scan {}

    static ApplicationContextRunner withEnvironment(Map<String, Object> env) {
        return new ApplicationContextRunner()
                .withInitializer(new ConfigDataApplicationContextInitializer())
                .withInitializer(context -> context.getEnvironment()
                        .getPropertySources()
                        .addFirst(new SystemEnvironmentPropertySource(
                                StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME, env)))
                .withUserConfiguration(Scan.class);
    }

    /** {@code NAME=value} lines, as {@code env} prints them. */
    static Map<String, Object> environment(String lines) {
        return lines.lines()
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .collect(Collectors.toMap(
                        line -> line.substring(0, line.indexOf('=')), line -> line.substring(line.indexOf('=') + 1)));
    }

    @Test
    void everyModuleGetsTheDefaultsOfApplicationYml() {
        withEnvironment(Map.of()).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(ServiceProperties.class).publicUrl())
                    .isEqualTo(URI.create("http://127.0.0.1:8080"));
            assertThat(context.getBean(ApiProperties.class).maxRequestBody()).isEqualTo(DataSize.ofMegabytes(1));
            assertThat(context.getBean(AuthProperties.class).jwtClockSkew()).isEqualTo(Duration.ofSeconds(5));
            assertThat(context.getBean(SigningProperties.class).trustedRoot()).isNull();
            assertThat(context.getBean(RegistryProperties.class).allowedHosts()).isEmpty();
            assertThat(context.getBean(JobsProperties.class))
                    .isEqualTo(new JobsProperties(true, 4, Duration.ofSeconds(2), Duration.ofSeconds(5)));
            assertThat(context.getBean(IngestProperties.class))
                    .isEqualTo(new IngestProperties(5, Duration.ofSeconds(5), Duration.ofMinutes(5)));
            assertThat(context.getBean(WebhookProperties.class).maxBody()).isEqualTo(DataSize.ofKilobytes(64));
            assertThat(context.getBean(RetentionProperties.class).cron()).isEqualTo("0 0 * * * *");
            assertThat(context.getBean(UploadProperties.class).maxSize()).isEqualTo(DataSize.ofGigabytes(16));
            assertThat(context.getBean(EventsProperties.class).backoffBase()).isEqualTo(Duration.ofSeconds(10));
        });
    }

    @Test
    void theEnvironmentVariablesOfTheReadmeReachEachModulesRecord() {
        withEnvironment(environment("""
                POWERNODE_PUBLIC_URL=https://powernode.example.org
                POWERNODE_HOME=/srv/powernode
                POWERNODE_MAX_REQUEST_BODY=2MB
                POWERNODE_JWT_CLOCK_SKEW=1m
                POWERNODE_TRUSTED_ROOT=/etc/powernode/trusted_root.json
                POWERNODE_REGISTRY_ALLOWED_HOSTS=a.example:5000, b.example
                POWERNODE_INGEST_ENABLED=false
                POWERNODE_INGEST_THREADS=7
                POWERNODE_INGEST_MAX_ATTEMPTS=3
                POWERNODE_INGEST_BACKOFF=7s
                POWERNODE_WEBHOOK_DELIVERY_MAX_AGE=3d
                POWERNODE_RETENTION_GRACE=2h
                POWERNODE_UPLOAD_EXPIRY=1h
                POWERNODE_EVENTS_BACKOFF=30s
                """)).run(context -> {
            assertThat(context).hasNotFailed();
            ServiceProperties service = context.getBean(ServiceProperties.class);
            assertThat(service.publicUrl()).isEqualTo(URI.create("https://powernode.example.org"));
            assertThat(service.home()).isEqualTo(Path.of("/srv/powernode"));
            assertThat(context.getBean(ApiProperties.class).maxRequestBody()).isEqualTo(DataSize.ofMegabytes(2));
            assertThat(context.getBean(AuthProperties.class).jwtClockSkew()).isEqualTo(Duration.ofMinutes(1));
            assertThat(context.getBean(SigningProperties.class).trustedRoot())
                    .isEqualTo(Path.of("/etc/powernode/trusted_root.json"));
            assertThat(context.getBean(RegistryProperties.class).allowedHosts())
                    .isEqualTo(List.of("a.example:5000", "b.example"));
            JobsProperties jobs = context.getBean(JobsProperties.class);
            assertThat(jobs.enabled()).isFalse();
            assertThat(jobs.threads()).isEqualTo(7);
            IngestProperties ingest = context.getBean(IngestProperties.class);
            assertThat(ingest.maxAttempts()).isEqualTo(3);
            assertThat(ingest.backoffBase()).isEqualTo(Duration.ofSeconds(7));
            assertThat(context.getBean(WebhookProperties.class).deliveryMaxAge())
                    .isEqualTo(Duration.ofDays(3));
            assertThat(context.getBean(RetentionProperties.class).grace()).isEqualTo(Duration.ofHours(2));
            assertThat(context.getBean(UploadProperties.class).expiry()).isEqualTo(Duration.ofHours(1));
            assertThat(context.getBean(EventsProperties.class).backoffBase()).isEqualTo(Duration.ofSeconds(30));
        });
    }

    @Test
    void aClockSkewOverFiveMinutesStopsTheStartNamingTheVariable() {
        withEnvironment(Map.of("POWERNODE_JWT_CLOCK_SKEW", "6m"))
                .run(context -> assertThat(context)
                        .getFailure()
                        .rootCause()
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessage("POWERNODE_JWT_CLOCK_SKEW must be between 0s and 5m, not PT6M"));
    }

    @Test
    void aZeroUploadLimitStopsTheStartNamingTheVariable() {
        withEnvironment(Map.of("POWERNODE_UPLOAD_MAX_SIZE", "0B"))
                .run(context -> assertThat(context)
                        .getFailure()
                        .rootCause()
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessage("POWERNODE_UPLOAD_MAX_SIZE and POWERNODE_UPLOAD_EXPIRY must be positive"));
    }

    @Test
    void anUploadRepositoryThatIsNotOneStopsTheStartNamingTheVariable() {
        withEnvironment(Map.of("POWERNODE_UPLOAD_REPOSITORY", "no registry here"))
                .run(context -> assertThat(context)
                        .getFailure()
                        .rootCause()
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageStartingWith("POWERNODE_UPLOAD_REPOSITORY must look like host[:port]/path"));
    }
}
