package dev.powernode.cli.agent;

import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.sigstore.SigstoreException;
import dev.powernode.common.sigstore.SigstoreVerifier;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code powernode agent}: the node side, run by {@code powernode-agent.service} in the image. */
@Command(
        name = "agent",
        mixinStandardHelpOptions = true,
        description = {
            "The node agent: keeps this node on its platform's current image (runs on the node).",
            "run: settle this boot (health checks, bless or fall back, report), then poll and stage new images.",
            "apply: fetch and stage the current image now and reboot into it (any reboot policy).",
            "status: what the node booted and what its ESP and persist hold.",
            "fetch: pull a publication's files, signature and SHA-256 checked, into a directory."
        },
        subcommands = {
            AgentCommand.Run.class,
            AgentCommand.Apply.class,
            AgentCommand.Status.class,
            AgentCommand.Fetch.class
        })
public final class AgentCommand {
    /** Where the node's parts are; the defaults are the booted system's. */
    static final class Where {
        @Option(names = "--config", description = "Agent config (default: ${DEFAULT-VALUE})")
        Path config = Path.of("/usr/lib/powernode/agent.json");

        @Option(names = "--persist", description = "The persist partition's mount point (default: ${DEFAULT-VALUE})")
        Path persist = Path.of("/persist");

        @Option(names = "--esp", description = "The ESP's mount point (default: ${DEFAULT-VALUE})")
        Path esp = Path.of("/efi");

        @Option(
                names = "--identity",
                description = "identity.cfg as the initramfs exposes it (default: ${DEFAULT-VALUE})")
        Path identity = Path.of("/run/powernode/identity");

        @Option(names = "--booted-image", description = "The running image's digest file (default: ${DEFAULT-VALUE})")
        Path bootedImage = Path.of("/run/powernode/image");

        @Option(names = "--boot-id", hidden = true)
        Path bootId = Path.of("/proc/sys/kernel/random/boot_id");

        @Option(names = "--uptime", hidden = true)
        Path uptime = Path.of("/proc/uptime");

        @Option(
                names = "--health-dir",
                description = "Directory of health checks (repeatable; default: /usr/lib/powernode/health.d and"
                        + " /etc/powernode/health.d)")
        List<Path> healthDirs = new ArrayList<>();

        Agent agent(PrintStream log) {
            AgentConfig settings = AgentConfig.read(config);
            Agent.NodePaths paths = new Agent.NodePaths(
                    persist,
                    esp,
                    identity,
                    bootedImage,
                    bootId,
                    uptime,
                    healthDirs.isEmpty() ? Agent.NodePaths.system().healthDirs() : healthDirs);
            SigstoreVerifier verifier;
            try {
                verifier = settings.trustedRoot() == null
                        ? SigstoreVerifier.publicGood()
                        : SigstoreVerifier.fromFile(settings.trustedRoot());
            } catch (SigstoreException e) {
                throw new AgentException(AgentException.Kind.CONFIG, "trusted root: " + e.getMessage());
            }
            RegistryClient client = registryClient(settings);
            return new Agent(
                    settings,
                    paths,
                    client,
                    verifier,
                    settings.fsVerity() ? FsVerity.command() : FsVerity.OFF,
                    Clock.systemUTC(),
                    log,
                    version());
        }
    }

    /** The registry client a config describes: plain http, endpoints and credentials per registry. */
    static RegistryClient registryClient(AgentConfig settings) {
        RegistryClient.Builder b = RegistryClient.builder()
                .allowAnyRegistry()
                .plainHttp(settings.plainHttpRegistries())
                .readTimeout(Duration.ofSeconds(30));
        settings.registryEndpoints().forEach(b::endpoint);
        settings.registryCredentials().forEach((registry, c) -> {
            try {
                b.credentials(
                        registry,
                        c.username(),
                        Files.readString(c.passwordFile()).strip());
            } catch (IOException e) {
                throw new AgentException(
                        AgentException.Kind.CONFIG,
                        "registry password for " + registry + ": cannot read " + c.passwordFile());
            }
        });
        return b.build();
    }

    static String version() {
        String v = AgentCommand.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    static int fail(AgentException e) {
        System.err.println("powernode-agent: " + e.kind().label() + ": " + e.getMessage());
        return e.kind().exitCode;
    }

    @Command(
            name = "run",
            mixinStandardHelpOptions = true,
            description = "Settle this boot, then keep polling the platform and stage new images (the service).")
    static final class Run implements Callable<Integer> {
        @Mixin
        Where where = new Where();

        @Option(names = "--once", description = "Settle and poll once, then exit (staging but not rebooting).")
        boolean once;

        @Override
        public Integer call() throws InterruptedException {
            Agent agent;
            try {
                agent = where.agent(System.out);
            } catch (AgentException e) {
                return fail(e);
            }
            try (agent) {
                return loop(agent);
            }
        }

        private Integer loop(Agent agent) throws InterruptedException {
            agent.log("node " + agent.identity() + "; reboot policy "
                    + agent.config().reboot());
            boolean settled = false;
            Duration backoff = agent.config().poll();
            boolean waitingLogged = false;
            while (true) {
                try {
                    if (!settled) {
                        Agent.Settled s = agent.settle();
                        settled = true;
                        if (Agent.mustReboot(s) && !once) {
                            agent.reboot("trial boot of " + Agent.shortId(s.image()) + " failed its health checks");
                            return 0;
                        }
                    }
                    Agent.Outcome outcome = agent.check();
                    backoff = agent.config().poll();
                    if (outcome == Agent.Outcome.STAGED && !once) {
                        Duration wait = agent.rebootWait();
                        if (wait != null && wait.isZero()) {
                            agent.reboot("a new image is staged (reboot policy "
                                    + agent.config().reboot() + ")");
                            return 0;
                        }
                        if (!waitingLogged) {
                            agent.log("a new image is staged; "
                                    + (wait == null
                                            ? "reboot policy is manual: run powernode agent apply"
                                            : "rebooting in the maintenance window, in " + wait.toMinutes() + " min"));
                            waitingLogged = true;
                        }
                    }
                    if (once) {
                        agent.log("once: " + outcome.name().toLowerCase(java.util.Locale.ROOT));
                        return 0;
                    }
                } catch (AgentException e) {
                    System.err.println("powernode-agent: " + e.kind().label() + ": " + e.getMessage());
                    if (once || e.kind() == AgentException.Kind.CONFIG) {
                        return e.kind().exitCode;
                    }
                    backoff = next(backoff, agent.config().poll());
                    agent.log("retrying in " + backoff.toSeconds() + " s");
                    Thread.sleep(backoff.toMillis());
                    continue;
                }
                Thread.sleep(agent.config().poll().toMillis());
            }
        }

        /** Doubles up to 15 minutes (at least the poll interval), with up to 20 % jitter. */
        static Duration next(Duration previous, Duration poll) {
            long base = Math.min(
                    previous.toMillis() * 2,
                    Math.max(poll.toMillis(), Duration.ofMinutes(15).toMillis()));
            long jitter = (long) (base
                    * 0.2
                    * java.util.concurrent.ThreadLocalRandom.current().nextDouble());
            return Duration.ofMillis(base - jitter);
        }
    }

    @Command(
            name = "apply",
            mixinStandardHelpOptions = true,
            description = "Fetch, verify and stage the current image now, then reboot into it.")
    static final class Apply implements Callable<Integer> {
        @Mixin
        Where where = new Where();

        @Option(names = "--no-reboot", description = "Stage only; the next reboot boots it.")
        boolean noReboot;

        @Override
        public Integer call() {
            try (Agent agent = where.agent(System.out)) {
                Agent.Outcome outcome = agent.check();
                switch (outcome) {
                    case CURRENT -> agent.log("the node already runs the current publication");
                    case DECLINED -> agent.log("the current publication failed its trial here; not applied");
                    case TRIAL -> agent.log("this boot is an unsettled trial: run powernode agent run first");
                    case STAGED -> {
                        if (noReboot) {
                            agent.log("staged; the next reboot boots it");
                        } else {
                            agent.reboot("powernode agent apply");
                        }
                    }
                }
                return outcome == Agent.Outcome.DECLINED || outcome == Agent.Outcome.TRIAL ? 1 : 0;
            } catch (AgentException e) {
                return fail(e);
            }
        }
    }

    @Command(
            name = "fetch",
            mixinStandardHelpOptions = true,
            description = {
                "Pull every file of an artifact (OCI_REF by digest) into DIR, each checked against its SHA-256;"
                        + " an interrupted fetch resumes where it stopped when run again.",
                "The cosign signature is checked against --config's signers unless --skip-signature."
            })
    static final class Fetch implements Callable<Integer> {
        @picocli.CommandLine.Parameters(paramLabel = "OCI_REF", description = "host[:port]/repository@sha256:<hex>")
        String ref;

        @Option(names = "--out", required = true, description = "Directory for the files (created)")
        Path out;

        @Option(
                names = "--config",
                description = "Agent config: whose signers must have signed it, and how to reach the registry")
        Path config;

        @Option(names = "--skip-signature", description = "Do not check the signature (transfer and digests only)")
        boolean skipSignature;

        @Option(names = "--plain-http", description = "Reach the registry over http (loopback development registries)")
        boolean plainHttp;

        @Override
        public Integer call() {
            try {
                dev.powernode.common.oci.OciRef image;
                try {
                    image = dev.powernode.common.oci.OciRef.parse(ref);
                } catch (IllegalArgumentException e) {
                    throw new AgentException(AgentException.Kind.CONFIG, "invalid OCI reference " + ref);
                }
                if (image.digest() == null) {
                    throw new AgentException(AgentException.Kind.CONFIG, "fetch needs a reference by digest: " + ref);
                }
                if (config == null && !skipSignature) {
                    throw new AgentException(
                            AgentException.Kind.CONFIG,
                            "give --config (whose signers must have signed it) or --skip-signature");
                }
                AgentConfig settings = config == null ? null : AgentConfig.read(config);
                RegistryClient client;
                if (settings != null) {
                    client = registryClient(settings);
                } else {
                    RegistryClient.Builder b = RegistryClient.builder().allowAnyRegistry();
                    if (plainHttp) {
                        b.plainHttp(java.util.Set.of(image.registry()));
                    }
                    client = b.build();
                }
                dev.powernode.common.oci.Manifest m;
                try {
                    m = client.getManifest(image);
                } catch (dev.powernode.common.oci.RegistryException e) {
                    throw new AgentException(AgentException.Kind.REGISTRY, e.getMessage());
                }
                if (!skipSignature) {
                    try {
                        SigstoreVerifier verifier = settings.trustedRoot() == null
                                ? SigstoreVerifier.publicGood()
                                : SigstoreVerifier.fromFile(settings.trustedRoot());
                        var signed = new dev.powernode.common.sigstore.ImageSignatures(client, verifier)
                                .verify(image, settings.signers());
                        System.err.println("signed by " + signed.signer().signer());
                    } catch (SigstoreException e) {
                        throw new AgentException(AgentException.Kind.SIGNATURE, e.getMessage());
                    }
                }
                Files.createDirectories(out);
                Downloads downloads = new Downloads(out.resolve(".partial"), client);
                for (var layer : m.layers()) {
                    String name = layer.title() == null ? layer.digest().hex() : layer.title();
                    if (name.contains("/") || name.startsWith(".")) {
                        throw new AgentException(
                                AgentException.Kind.NOT_UPDATABLE, "layer title is not a file name: " + name);
                    }
                    long t0 = System.nanoTime();
                    Downloads.Fetched f = downloads.fetch(image.registry(), image.repository(), layer, null);
                    double s = (System.nanoTime() - t0) / 1e9;
                    BootEntries.move(f.file(), out.resolve(name));
                    System.out.printf(
                            java.util.Locale.ROOT,
                            "%s  %d bytes  sha256:%s  %.2f s  %.1f MiB/s%s%n",
                            name,
                            layer.size(),
                            layer.digest().hex(),
                            s,
                            (layer.size() - f.resumedFrom()) / 1048576.0 / Math.max(s, 1e-9),
                            f.resumedFrom() > 0 ? "  (resumed from byte " + f.resumedFrom() + ")" : "");
                }
                Files.deleteIfExists(out.resolve(".partial"));
                return 0;
            } catch (AgentException e) {
                return fail(e);
            } catch (IOException e) {
                System.err.println("powernode-agent: io: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "What the node booted and holds.")
    static final class Status implements Callable<Integer> {
        @Mixin
        Where where = new Where();

        @Override
        public Integer call() {
            try {
                BootEntries entries = new BootEntries(where.esp);
                ImageStore store = new ImageStore(where.persist, FsVerity.OFF);
                String booted = Files.exists(where.bootedImage)
                        ? Files.readString(where.bootedImage).strip()
                        : "(unknown)";
                System.out.println("booted   " + booted);
                for (BootEntries.Entry e : entries.list()) {
                    String tries = e.blessed()
                            ? "good"
                            : e.bad() ? "out of tries" : e.triesLeft() + " tries left, " + e.triesDone() + " done";
                    System.out.println("entry    " + e.file() + "  sha256:" + e.image() + "  " + tries
                            + (store.hasImage(e.image()) ? "" : "  (image missing on persist)"));
                }
                System.out.println("persist  " + store.listImages().size() + " image(s), "
                        + store.usableSpace() / 1048576 + " MiB free");
                return 0;
            } catch (AgentException e) {
                return fail(e);
            } catch (IOException e) {
                System.err.println("powernode-agent: " + e.getMessage());
                return 1;
            }
        }
    }
}
