package dev.powernode.cli;

import dev.powernode.common.oci.RegistryClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import picocli.CommandLine.Option;

/** How to reach a registry: plain http for loopback ones, and Basic credentials (the password never on the command line). */
final class RegistryOptions {
    @Option(names = "--plain-http", description = "Reach the registry over http (loopback development registries).")
    boolean plainHttp;

    @Option(
            names = "--registry-username",
            description =
                    "Registry user; the password comes from POWERNODE_REGISTRY_PASSWORD or --registry-password-file.")
    String registryUsername;

    @Option(names = "--registry-password-file", description = "File holding the registry password.")
    Path registryPasswordFile;

    /** A client for {@code host} ({@code host[:port]}) with these options. */
    RegistryClient client(String host) {
        RegistryClient.Builder builder = RegistryClient.builder().allowAnyRegistry();
        if (plainHttp) {
            builder.plainHttp(Set.of(host));
        }
        if (registryUsername != null) {
            String password = System.getenv("POWERNODE_REGISTRY_PASSWORD");
            if (registryPasswordFile != null) {
                try {
                    password = Files.readString(registryPasswordFile).strip();
                } catch (IOException e) {
                    throw new CliException("cannot read " + registryPasswordFile + ": " + e.getMessage(), 2);
                }
            }
            if (password == null) {
                throw new CliException(
                        "--registry-username needs POWERNODE_REGISTRY_PASSWORD or --registry-password-file", 2);
            }
            builder.credentials(host, registryUsername, password);
        }
        return builder.build();
    }
}
