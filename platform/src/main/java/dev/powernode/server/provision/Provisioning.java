package dev.powernode.server.provision;

import dev.powernode.common.disk.DiskFormatException;
import dev.powernode.common.disk.DiskReader;
import dev.powernode.common.disk.IdentitySlot;
import dev.powernode.common.disk.Patch;
import dev.powernode.common.disk.PatchingOutputStream;
import dev.powernode.common.disk.Qcow2Overlay;
import dev.powernode.common.disk.Qcow2Reader;
import dev.powernode.server.node.EnrolledNode;
import dev.powernode.server.node.Node;
import dev.powernode.server.node.Nodes;
import dev.powernode.server.oci.Registries;
import dev.powernode.server.platform.NodePlatform;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.publication.DiskImagePublication;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.server.storage.LocalArtifactStore;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Instances from templates (the spec's step 8). {@link #provision} enrols a node for the template's
 * platform and triple, after checking that the current publication's disk has an identity slot, so
 * a node is never enrolled for a disk that cannot carry it. The node's disk is then made from the
 * identity.cfg the caller got back: {@link #disk} streams the published raw disk with it in BOOT's
 * slot, {@link #overlay} returns a qcow2 overlay on the published qcow2 ({@link #publishedFile}
 * serves that base as is). Nothing is stored: every byte comes from the publication's verified
 * artifact, re-hashed on the way.
 */
@Service
public class Provisioning {
    private static final Logger log = LoggerFactory.getLogger(Provisioning.class);

    private final Templates templates;
    private final Nodes nodes;
    private final NodePlatforms platforms;
    private final Publications publications;
    private final Registries registries;
    private final LocalArtifactStore store;

    Provisioning(
            Templates templates,
            Nodes nodes,
            NodePlatforms platforms,
            Publications publications,
            Registries registries,
            LocalArtifactStore store) {
        this.templates = templates;
        this.nodes = nodes;
        this.platforms = platforms;
        this.publications = publications;
        this.registries = registries;
        this.store = store;
    }

    /** A qcow2 node's overlay: its bytes, its file name and the base file it names. */
    public record Overlay(String fileName, String baseFile, byte[] bytes) {}

    /**
     * Enrols node {@code nodeName} from template {@code templateName}. NOT_FOUND {@code
     * provision/no-current-publication} while the triple has no current publication; CONFLICT
     * {@code provision/not-provisionable} when its disk has no identity slot.
     */
    public ProvisionedInstance provision(String templateName, String nodeName, String actor) {
        NodeTemplate t = templates.get(templateName);
        NodePlatform p = platforms.get(t.nodePlatformId());
        DiskImagePublication pub = publications
                .current(p.id(), t.artifactFamily(), t.arch())
                .orElseThrow(() -> DomainException.notFound(
                        "provision/no-current-publication",
                        "platform '" + p.slug() + "' has no current "
                                + t.artifactFamily().value() + "/" + t.arch().value()
                                + " publication to provision from"));
        slot(pub, guest(pub, file(pub)));
        EnrolledNode e = nodes.enroll(
                p.slug(), nodeName, t.artifactFamily().value(), t.arch().value(), actor);
        String name = e.node().name();
        log.info(
                "provisioned node {} ({}) from template {} on publication {}",
                name,
                e.node().id(),
                t.name(),
                pub.id());
        if (t.artifactFamily() == ArtifactFamily.QCOW2) {
            String base = baseFile(p, pub);
            String overlay = name + ".qcow2";
            return new ProvisionedInstance(
                    t,
                    e,
                    pub,
                    overlay,
                    base,
                    LibvirtDomain.xml(name, t.arch(), t.memoryMib(), t.vcpus(), t.imageDir(), overlay, base));
        }
        return new ProvisionedInstance(t, e, pub, name + ".img", null, null);
    }

    /**
     * Node {@code nodeId}'s raw UEFI disk with its identity.cfg in BOOT's slot. {@code identityCfg}
     * is the node's own (enrolment's): it proves the caller holds the node's token, and the
     * canonical file is written. The disk is {@code publicationId}'s when given (the one provisioning
     * named: a published, not purged publication of the node's triple), else the node's current one.
     */
    public Download disk(UUID nodeId, String identityCfg, @Nullable UUID publicationId) {
        Identified id = identified(nodeId, identityCfg, ArtifactFamily.UEFI_DISK);
        DiskImagePublication pub = publicationFor(id.node(), publicationId);
        PublishedFile file = file(pub);
        List<Patch> patches = fill(slot(pub, file.reader()), id.canonical());
        return download(id.node().name() + ".img", file, patches);
    }

    /**
     * Node {@code nodeId}'s qcow2 overlay with its identity.cfg in BOOT's slot, over {@code
     * publicationId}'s qcow2 (or the node's current one), named as {@link
     * ProvisionedInstance#baseFile()}. The whole base is re-hashed before the overlay is returned,
     * since the overlay copies some of its clusters.
     */
    public Overlay overlay(UUID nodeId, String identityCfg, @Nullable UUID publicationId) {
        Identified id = identified(nodeId, identityCfg, ArtifactFamily.QCOW2);
        DiskImagePublication pub = publicationFor(id.node(), publicationId);
        PublishedFile file = file(pub);
        DiskReader guest = guest(pub, file);
        List<Patch> patches = fill(slot(pub, guest), id.canonical());
        String base = baseFile(platforms.get(pub.nodePlatformId()), pub);
        byte[] bytes;
        try {
            bytes = Qcow2Overlay.write(guest, base, patches);
        } catch (DiskFormatException | IllegalArgumentException e) {
            throw notProvisionable(pub, new DiskFormatException(e.getMessage(), e));
        }
        try {
            file.stream(OutputStream.nullOutputStream());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return new Overlay(id.node().name() + ".qcow2", base, bytes);
    }

    /** The publication a node's disk is made from: the one asked for, if it may be, else the current one. */
    private DiskImagePublication publicationFor(Node node, @Nullable UUID publicationId) {
        if (publicationId == null) {
            return nodes.currentFor(node);
        }
        DiskImagePublication p = publications
                .find(publicationId)
                .orElseThrow(() -> DomainException.notFound(
                        "publication/not-found", "no disk image publication '" + publicationId + "'"));
        if (!p.nodePlatformId().equals(node.nodePlatformId())
                || p.artifactFamily() != node.artifactFamily()
                || p.arch() != node.arch()) {
            throw DomainException.conflict(
                    "provision/foreign-publication",
                    "publication " + p.id() + " is not of node " + node.name() + "'s platform, family and arch");
        }
        return p;
    }

    /** Publication {@code id}'s primary file as published (a qcow2 template's base), verified on the way. */
    public Download publishedFile(UUID id) {
        DiskImagePublication pub = publications.get(id);
        String name = pub.artifactFamily() == ArtifactFamily.QCOW2
                ? baseFile(platforms.get(pub.nodePlatformId()), pub)
                : "publication-" + pub.id();
        return download(name, file(pub), List.of());
    }

    /** The name a qcow2 base is kept under next to its overlays: one file per publication. */
    static String baseFile(NodePlatform p, DiskImagePublication pub) {
        return "powernode-" + p.slug() + "-" + pub.arch().value() + "-" + pub.sha256Short() + ".qcow2";
    }

    private Download download(String name, PublishedFile file, List<Patch> patches) {
        return new Download() {
            @Override
            public String fileName() {
                return name;
            }

            @Override
            public long size() {
                return file.size();
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                file.stream(patches.isEmpty() ? out : new PatchingOutputStream(out, patches));
            }
        };
    }

    private PublishedFile file(DiskImagePublication pub) {
        return PublishedFile.of(pub, registries.client(), store.object(pub.sha256()));
    }

    private DiskReader guest(DiskImagePublication pub, PublishedFile file) {
        if (pub.artifactFamily() != ArtifactFamily.QCOW2) {
            return file.reader();
        }
        try {
            return new Qcow2Reader(file.reader());
        } catch (DiskFormatException e) {
            throw notProvisionable(pub, e);
        }
    }

    private static IdentitySlot slot(DiskImagePublication pub, DiskReader disk) {
        try {
            return IdentitySlot.locate(disk);
        } catch (DiskFormatException e) {
            throw notProvisionable(pub, e);
        }
    }

    private static List<Patch> fill(IdentitySlot slot, String identityCfg) {
        try {
            return slot.fill(identityCfg);
        } catch (IllegalArgumentException e) {
            throw DomainException.invalid("identity_cfg", e.getMessage());
        }
    }

    private static DomainException notProvisionable(DiskImagePublication pub, DiskFormatException e) {
        return new DomainException(
                ErrorKind.CONFLICT,
                "provision/not-provisionable",
                "publication " + pub.id() + "'s disk cannot carry a node identity: " + e.getMessage());
    }

    private record Identified(Node node, String canonical) {}

    /**
     * The node the identity.cfg belongs to, of {@code family}, and its canonical identity.cfg; the
     * checks say what is wrong. Only {@code device_id} and {@code token} are read (once each).
     */
    private Identified identified(UUID nodeId, String identityCfg, ArtifactFamily family) {
        if (identityCfg == null || identityCfg.isBlank()) {
            throw DomainException.invalid(
                    "identity_cfg", "is required: the node's identity.cfg as enrolment returned it");
        }
        if (identityCfg.length() > IdentitySlot.SIZE
                || !StandardCharsets.US_ASCII.newEncoder().canEncode(identityCfg)) {
            throw DomainException.invalid("identity_cfg", "must be ASCII and at most " + IdentitySlot.SIZE + " bytes");
        }
        Map<String, String> values = new HashMap<>();
        for (String line : identityCfg.split("\n")) {
            String l = line.strip();
            int eq = l.indexOf('=');
            if (l.isEmpty() || l.startsWith("#") || eq <= 0) {
                continue;
            }
            String key = l.substring(0, eq).strip();
            if (values.put(key, l.substring(eq + 1).strip()) != null
                    && (key.equals("device_id") || key.equals("token"))) {
                throw DomainException.invalid("identity_cfg", "names " + key + " twice");
            }
        }
        if (!nodeId.toString().equals(values.get("device_id"))) {
            throw new DomainException(
                    ErrorKind.INVALID,
                    "node/identity-mismatch",
                    "the identity.cfg's device_id is not " + nodeId + " (it is another node's)");
        }
        Node node = nodes.holding(nodeId, values.get("token"));
        if (node.artifactFamily() != family) {
            throw DomainException.conflict(
                    "provision/wrong-family",
                    "node " + node.name() + " boots " + node.artifactFamily().value() + ", not " + family.value()
                            + (family == ArtifactFamily.QCOW2 ? ": ask for its disk" : ": ask for its qcow2 overlay"));
        }
        return new Identified(node, nodes.identityCfg(node, values.get("token")));
    }
}
