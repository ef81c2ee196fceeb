package dev.powernode.cli;

import dev.powernode.common.token.Durations;
import dev.powernode.common.token.Scope;
import dev.powernode.common.token.SigningKey;
import dev.powernode.common.token.TokenMinter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "token",
        description = "Mint, create, list and revoke API tokens.",
        subcommands = {
            TokenCommand.Mint.class,
            TokenCommand.Create.class,
            TokenCommand.ListTokens.class,
            TokenCommand.Revoke.class
        })
final class TokenCommand extends CommandGroup {

    static Set<Scope> scopes(List<String> raw) {
        Set<Scope> out = new LinkedHashSet<>();
        for (String s : raw) {
            out.add(Scope.parse(s)
                    .orElseThrow(() -> new CliException(
                            "unknown scope '" + s + "' (allowed: disk_images:read, disk_images:write, system:admin)",
                            2)));
        }
        return out;
    }

    static Duration ttl(String text) {
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new CliException("--ttl: " + e.getMessage(), 2);
        }
    }

    @Command(
            name = "mint",
            mixinStandardHelpOptions = true,
            description = {
                "Mint a token offline with the platform's signing key (bootstrap and break-glass).",
                "The key comes from POWERNODE_JWT_SECRET (base64) or --key-file",
                "(default $POWERNODE_HOME/jwt-secret, as the service generates it in development).",
                "Prints only the token, for use in scripts."
            })
    static final class Mint implements Runnable {
        @Spec
        CommandSpec spec;

        @Option(names = "--subject", required = true, description = "Who the token is for, e.g. alice.")
        String subject;

        @Option(
                names = "--scope",
                required = true,
                description = "disk_images:read, disk_images:write or system:admin; repeatable.")
        List<String> scopes = new ArrayList<>();

        @Option(
                names = "--ttl",
                defaultValue = "12h",
                description = "Lifetime like 15m, 12h, 30d (default ${DEFAULT-VALUE}).")
        String ttl;

        @Option(names = "--key-file", description = "File holding the base64 signing key.")
        Path keyFile;

        @Override
        public void run() {
            SigningKey key = key();
            TokenMinter.MintedToken minted =
                    new TokenMinter(key).mint(subject, scopes(scopes), Instant.now(), ttl(ttl));
            spec.commandLine().getOut().println(minted.token());
        }

        private SigningKey key() {
            String env = System.getenv("POWERNODE_JWT_SECRET");
            try {
                if (keyFile == null && env != null && !env.isBlank()) {
                    return SigningKey.fromBase64(env);
                }
                Path file = keyFile != null ? keyFile : defaultHome().resolve("jwt-secret");
                if (!Files.isReadable(file)) {
                    throw new CliException(
                            "no signing key: " + file
                                    + " is not readable and POWERNODE_JWT_SECRET is not set (start the platform once, or pass --key-file)");
                }
                return SigningKey.fromBase64(Files.readString(file));
            } catch (IllegalArgumentException | java.io.IOException e) {
                throw new CliException("cannot load the signing key: " + e.getMessage());
            }
        }

        private static Path defaultHome() {
            String home = System.getenv("POWERNODE_HOME");
            return home != null && !home.isBlank()
                    ? Path.of(home)
                    : Path.of(System.getProperty("user.home"), ".local", "share", "powernode");
        }
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = "Create a recorded, revocable token through the API (needs a system:admin token).")
    static final class Create implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        ApiOptions api;

        @Option(names = "--subject", required = true, description = "Who the token is for.")
        String subject;

        @Option(names = "--scope", required = true, description = "Scope; repeatable.")
        List<String> scopes = new ArrayList<>();

        @Option(names = "--ttl", defaultValue = "30d", description = "Lifetime (default ${DEFAULT-VALUE}).")
        String ttl;

        @Option(names = "--description", description = "Free text kept with the token record.")
        String description;

        @Override
        public void run() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("subject", subject);
            body.put("scopes", scopes(scopes).stream().map(Scope::value).toList());
            ttl(ttl);
            body.put("ttl", ttl);
            body.put("description", description);
            var created = api.client().post("/api/v1/system/api_tokens", body);
            spec.commandLine()
                    .getErr()
                    .println("token id " + created.get("api_token").get("id").asString() + " expires "
                            + created.get("api_token").get("expires_at").asString());
            spec.commandLine().getOut().println(created.get("token").asString());
        }
    }

    @Command(
            name = "list",
            description =
                    "The recorded tokens (GET /api/v1/system/api_tokens; system:admin); never the tokens themselves.")
    static final class ListTokens extends ApiCommand {
        @Override
        public void run() {
            list(
                    "/api/v1/system/api_tokens",
                    new Table()
                            .text("ID", "id")
                            .text("SUBJECT", "subject")
                            .text("SCOPES", "scopes")
                            .ago("CREATED", "created_at")
                            .ago("EXPIRES", "expires_at")
                            .status("REVOKED", n -> n.hasNonNull("revoked_at") ? "revoked" : Format.NONE)
                            .clipped("DESCRIPTION", "description", 40));
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a recorded token by id.")
    static final class Revoke implements Runnable {
        @Spec
        CommandSpec spec;

        @Mixin
        ApiOptions api;

        @Parameters(paramLabel = "TOKEN_ID", description = "The token's id (its jti).")
        String id;

        @Override
        public void run() {
            api.client().delete("/api/v1/system/api_tokens/" + id);
            spec.commandLine().getOut().println("revoked " + id);
        }
    }
}
