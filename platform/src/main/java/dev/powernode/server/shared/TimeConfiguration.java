package dev.powernode.server.shared;

import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The one source of time (docs/architecture.md): every module reads the injected {@code Clock}, so
 * integration tests replace it with a settable clock they advance instead of editing timestamps.
 */
@Configuration(proxyBeanMethods = false)
class TimeConfiguration {
    @Bean
    @ConditionalOnMissingBean
    Clock clock() {
        return Clock.systemUTC();
    }
}
