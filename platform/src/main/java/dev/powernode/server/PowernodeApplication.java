package dev.powernode.server;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

@SpringBootApplication
// each module binds its own @ConfigurationProperties record (README, Configuration)
@ConfigurationPropertiesScan
public class PowernodeApplication {
    public static void main(String[] args) {
        // java.net.http hands response bodies over in 16 KiB pieces by default; blob pulls of
        // gigabytes cost half the CPU with 256 KiB (bench/ingest-throughput.sh)
        if (System.getProperty("jdk.httpclient.bufsize") == null) {
            System.setProperty("jdk.httpclient.bufsize", Integer.toString(256 * 1024));
        }
        SpringApplication.run(PowernodeApplication.class, args);
    }
}
