package dev.powernode.cli;

import dev.powernode.common.oci.DiskImageArtifacts;
import dev.powernode.common.oci.RegistryClient;
import dev.powernode.common.oci.RegistryException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The runner side: push build outputs as one disk-image artifact per family, sign each manifest
 * digest with a cosign key pair (the legacy .sig layout {@code cosign verify --key} reads), announce
 * it with the HMAC-signed webhook, and optionally wait for the platform's verdict.
 *
 * <p>The command only orders the steps; each has its own part: {@link PublishPlan} (what to
 * publish), {@link ArtifactPush} (the OCI push), {@link SigningOptions} (key pair or keyless),
 * {@link WebhookAnnouncer} (the signed webhook call) and {@link VerdictWait} (--wait).
 */
@Command(
        name = "publish",
        mixinStandardHelpOptions = true,
        description = {
            "Publish a build: with --build-dir, every artifact family build.sh wrote (read from its"
                    + " manifest.json); with --family and FILES, those files as one artifact (the first is the"
                    + " primary one).",
            "Each artifact is pushed, signed (--sign-key: a cosign key pair; --keyless: a Fulcio certificate"
                    + " for the CI's OIDC token, logged in Rekor) and announced with the signed webhook;"
                    + " --wait follows the publications until they are published (exit 0) or one failed (exit 1).",
            "stdout: one line per publication, 'ID' (FILES) or 'FAMILY ID'."
        })
final class PublishCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Option(names = "--platform", required = true, description = "NodePlatform slug or id.")
    String platform;

    @Option(names = "--registry", required = true, description = "Where to push: host[:port]/repository.")
    String registry;

    @Mixin
    PublishPlan.Options what;

    @Mixin
    RegistryOptions registryOptions;

    @Mixin
    SigningOptions signing;

    @Mixin
    WebhookAnnouncer webhook;

    @Mixin
    VerdictWait verdict;

    @Override
    public void run() {
        PublishPlan plan = what.plan();
        byte[] secret = webhook.secret();
        SigningOptions.ImageSigner signer = signing.signer();
        webhook.checkWorkerId();
        int slash = registry.indexOf('/');
        if (slash <= 0) {
            throw new CliException("--registry must look like host[:port]/repository, got " + registry, 2);
        }
        String host = registry.substring(0, slash);
        RegistryClient client = registryOptions.client(host);
        ApiClient api = verdict.client();

        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        ArtifactPush push = new ArtifactPush(client, host, registry.substring(slash + 1), err);
        List<VerdictWait.Announced> announced = new ArrayList<>();
        for (PublishPlan.Upload u : plan.uploads()) {
            if (plan.uploads().size() > 1) {
                err.println("==> " + u.family() + " (" + plan.arch() + "): "
                        + u.files().stream()
                                .map(p -> p.getFileName().toString())
                                .collect(Collectors.joining(", ")));
            }
            VerdictWait.Announced a = publishOne(client, push, plan, u, secret, signer);
            announced.add(a);
            out.println(what.fromBuild() ? u.family() + " " + a.publicationId() : a.publicationId());
            out.flush();
        }
        verdict.await(api, announced, err);
    }

    /** Push, sign, announce: the publication the webhook made for {@code u}. */
    private VerdictWait.Announced publishOne(
            RegistryClient client,
            ArtifactPush push,
            PublishPlan plan,
            PublishPlan.Upload u,
            byte[] secret,
            SigningOptions.ImageSigner signer) {
        PrintWriter err = spec.commandLine().getErr();
        DiskImageArtifacts.Pushed pushed;
        try {
            pushed = push.push(platform, plan, u);
            long started = System.nanoTime();
            signer.sign(client, pushed.ref());
            err.println((signing.keyless() ? "signed keyless " : "signed ")
                    + pushed.ref().digest() + " (" + pushed.ref().digest().tagPrefix() + ".sig) ("
                    + Format.since(started) + ")");
        } catch (RegistryException e) {
            throw new CliException("registry: " + e.getMessage());
        }
        long started = System.nanoTime();
        WebhookAnnouncer.Receipt receipt = webhook.announce(secret, platform, plan, u, pushed);
        long announcedAt = System.nanoTime();
        err.println((receipt.alreadyAnnounced() ? "already announced: publication " : "announced: publication ")
                + receipt.publicationId() + " " + receipt.status() + " (" + Format.since(started) + ")");
        return new VerdictWait.Announced(
                what.fromBuild() ? u.family() + " " : "", receipt.publicationId(), announcedAt);
    }
}
