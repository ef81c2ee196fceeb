package dev.powernode.server.api;

import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.views.AuditView;
import dev.powernode.server.views.ListResponse;
import dev.powernode.server.views.PublicationView;
import java.util.UUID;
import org.springframework.security.core.Authentication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Promote / roll back ({@code system_set_default_disk_image_publication}) and the audit trail. */
@RestController
class PromotionController {
    private final Publications publications;
    private final NodePlatforms platforms;

    PromotionController(Publications publications, NodePlatforms platforms) {
        this.publications = publications;
        this.platforms = platforms;
    }

    record SetDefaultRequest(String publicationId) {}

    /** Makes the publication its triple's current one; the caller's token subject is audited. */
    @PostMapping("/api/v1/system/node_platforms/{id}/default_disk_image_publication")
    PublicationView setDefault(@PathVariable String id, @RequestBody SetDefaultRequest body, Authentication auth) {
        if (body.publicationId() == null || body.publicationId().isBlank()) {
            throw DomainException.invalid("publication_id", "is required");
        }
        UUID platformId = platforms.resolve(id).id();
        UUID publicationId = Params.pathId("publication/not-found", "disk image publication", body.publicationId());
        return PublicationView.of(publications.setDefault(platformId, publicationId, auth.getName()));
    }

    /** Pointer changes and state transitions of a platform's publications, newest first. */
    @GetMapping("/api/v1/system/node_platforms/{id}/audit")
    ListResponse<AuditView> audit(
            @PathVariable String id,
            @RequestParam(required = false) String page,
            @RequestParam(name = "per_page", required = false) String perPage) {
        return ListResponse.of(
                publications.audit(platforms.resolve(id).id(), Params.page(page, perPage)), AuditView::of);
    }
}
