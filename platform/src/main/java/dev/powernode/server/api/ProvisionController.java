package dev.powernode.server.api;

import dev.powernode.server.provision.Download;
import dev.powernode.server.provision.NodeTemplate;
import dev.powernode.server.provision.ProvisionedInstance;
import dev.powernode.server.provision.Provisioning;
import dev.powernode.server.provision.Templates;
import dev.powernode.server.views.ListResponse;
import dev.powernode.server.views.NodeView;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.UUID;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Node templates and instances made from them (provisioning mints a node's credential:
 * system:admin), and the disks personalised for a node from its identity.cfg.
 */
@RestController
class ProvisionController {
    private static final Logger log = LoggerFactory.getLogger(ProvisionController.class);
    private static final String BASE = "/api/v1/system/node_templates";

    private final Templates templates;
    private final Provisioning provisioning;

    ProvisionController(Templates templates, Provisioning provisioning) {
        this.templates = templates;
        this.provisioning = provisioning;
    }

    record TemplateView(
            UUID id,
            String name,
            UUID nodePlatformId,
            String artifactFamily,
            String arch,
            int memoryMib,
            int vcpus,
            String imageDir,
            String createdBy,
            Instant createdAt) {
        static TemplateView of(NodeTemplate t) {
            return new TemplateView(
                    t.id(),
                    t.name(),
                    t.nodePlatformId(),
                    t.artifactFamily().value(),
                    t.arch().value(),
                    t.memoryMib(),
                    t.vcpus(),
                    t.imageDir(),
                    t.createdBy(),
                    t.createdAt());
        }
    }

    record InstanceRequest(@Nullable String name) {}

    /** The token and identity.cfg are in this response only; the disk is fetched with the identity.cfg. */
    record InstanceView(
            String template,
            NodeView node,
            String token,
            String identityCfg,
            UUID publicationId,
            String sha256,
            long sizeBytes,
            String diskFile,
            String diskHref,
            @Nullable String baseFile,
            @Nullable String baseHref,
            @Nullable String domainXml) {
        static InstanceView of(ProvisionedInstance i) {
            UUID node = i.enrolled().node().id();
            boolean overlay = i.baseFile() != null;
            return new InstanceView(
                    i.template().name(),
                    NodeView.of(i.enrolled().node()),
                    i.enrolled().token(),
                    i.enrolled().identityCfg(),
                    i.publication().id(),
                    i.publication().sha256(),
                    i.publication().sizeBytes(),
                    i.diskFile(),
                    "/api/v1/system/nodes/" + node + (overlay ? "/qcow2_overlay" : "/disk") + "?publication_id="
                            + i.publication().id(),
                    i.baseFile(),
                    overlay
                            ? "/api/v1/system/disk_image_publications/"
                                    + i.publication().id() + "/file"
                            : null,
                    i.domainXml());
        }
    }

    @PostMapping(BASE)
    ResponseEntity<TemplateView> create(@RequestBody Templates.NewTemplate b, Authentication auth) {
        NodeTemplate t = templates.create(b, auth.getName());
        return ResponseEntity.status(HttpStatus.CREATED).body(TemplateView.of(t));
    }

    @GetMapping(BASE)
    ListResponse<TemplateView> list() {
        return ListResponse.of(templates.list().stream().map(TemplateView::of).toList());
    }

    @GetMapping(BASE + "/{name}")
    TemplateView show(@PathVariable String name) {
        return TemplateView.of(templates.get(name));
    }

    @DeleteMapping(BASE + "/{name}")
    ResponseEntity<Void> delete(@PathVariable String name) {
        templates.delete(name);
        return ResponseEntity.noContent().build();
    }

    @PostMapping(BASE + "/{name}/instances")
    ResponseEntity<InstanceView> provision(
            @PathVariable String name, @RequestBody InstanceRequest b, Authentication auth) {
        ProvisionedInstance i = provisioning.provision(name, b.name(), auth.getName());
        return ResponseEntity.status(HttpStatus.CREATED).body(InstanceView.of(i));
    }

    /** The node's raw disk, streamed with its identity.cfg (the request body, text/plain) in BOOT. */
    @PostMapping(path = "/api/v1/system/nodes/{id}/disk", consumes = MediaType.TEXT_PLAIN_VALUE)
    void disk(
            @PathVariable String id,
            @RequestParam(name = "publication_id", required = false) String publication,
            @RequestBody String identityCfg,
            HttpServletResponse response)
            throws IOException {
        stream(
                provisioning.disk(Params.pathId("node/not-found", "node", id), identityCfg, publication(publication)),
                response);
    }

    private static @Nullable UUID publication(@Nullable String id) {
        return id == null || id.isEmpty() ? null : Params.pathId("publication/not-found", "publication", id);
    }

    /** The node's qcow2 overlay with its identity.cfg (the request body, text/plain) in BOOT. */
    @PostMapping(path = "/api/v1/system/nodes/{id}/qcow2_overlay", consumes = MediaType.TEXT_PLAIN_VALUE)
    ResponseEntity<byte[]> overlay(
            @PathVariable String id,
            @RequestParam(name = "publication_id", required = false) String publication,
            @RequestBody String identityCfg) {
        Provisioning.Overlay o = provisioning.overlay(
                Params.pathId("node/not-found", "node", id), identityCfg, publication(publication));
        return ResponseEntity.ok()
                .contentType(MediaType.APPLICATION_OCTET_STREAM)
                .header(HttpHeaders.CONTENT_DISPOSITION, attachment(o.fileName()))
                .header("Powernode-Backing-File", o.baseFile())
                .body(o.bytes());
    }

    /** A publication's primary file as published (a qcow2 template's base), verified as it streams. */
    @GetMapping("/api/v1/system/disk_image_publications/{id}/file")
    void file(@PathVariable String id, HttpServletResponse response) throws IOException {
        stream(provisioning.publishedFile(Params.pathId("publication/not-found", "publication", id)), response);
    }

    /**
     * Streams {@code d}. Its last bytes go out only once the whole file verified; a failure part way
     * leaves the client with fewer bytes than Content-Length said (the exception reaches Tomcat,
     * which closes the connection), so no complete file is ever wrong. A failure before anything
     * was sent (the registry unreachable) is an ordinary problem+json answer.
     */
    private static void stream(Download d, HttpServletResponse response) throws IOException {
        response.setStatus(HttpStatus.OK.value());
        response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
        response.setContentLengthLong(d.size());
        response.setHeader(HttpHeaders.CONTENT_DISPOSITION, attachment(d.fileName()));
        OutputStream out = response.getOutputStream();
        try {
            d.writeTo(out);
        } catch (RuntimeException | IOException e) {
            log.warn("streaming {} stopped: {}", d.fileName(), e.getMessage());
            if (!response.isCommitted()) {
                response.reset(); // the disk's headers must not go out with the problem
            }
            throw e;
        }
    }

    private static String attachment(String name) {
        return ContentDisposition.attachment().filename(name).build().toString();
    }
}
