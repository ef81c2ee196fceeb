package dev.powernode.server;

import dev.powernode.server.shared.PowernodeProperties;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

@SpringBootApplication
@EnableConfigurationProperties(PowernodeProperties.class)
public class PowernodeApplication {
    public static void main(String[] args) {
        SpringApplication.run(PowernodeApplication.class, args);
    }
}
