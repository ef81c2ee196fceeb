package dev.powernode.server.api;

import dev.powernode.server.platform.NodePlatform;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.publication.PublicationQuery;
import dev.powernode.server.publication.PublicationStatus;
import dev.powernode.server.publication.Publications;
import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.views.ListResponse;
import dev.powernode.server.views.PublicationView;
import java.util.UUID;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@RestController
class PublicationController {
    private final Publications publications;
    private final NodePlatforms platforms;

    PublicationController(Publications publications, NodePlatforms platforms) {
        this.publications = publications;
        this.platforms = platforms;
    }

    /** Filters: {@code platform} (slug or id), {@code status}, {@code arch}, {@code family}; paging. */
    @GetMapping("/api/v1/system/disk_image_publications")
    ListResponse<PublicationView> list(
            @RequestParam(required = false) String platform,
            @RequestParam(required = false) String status,
            @RequestParam(required = false) String arch,
            @RequestParam(required = false) String family,
            @RequestParam(required = false) String page,
            @RequestParam(name = "per_page", required = false) String perPage) {
        UUID platformId = null;
        if (platform != null && !platform.isEmpty()) {
            platformId = platforms
                    .find(platform)
                    .map(NodePlatform::id)
                    .orElseThrow(() -> DomainException.invalid("platform", "no node platform '" + platform + "'"));
        }
        PublicationQuery query = filters(status, arch, family).forPlatform(platformId);
        return ListResponse.of(publications.list(query, Params.page(page, perPage)), PublicationView::of);
    }

    @GetMapping("/api/v1/system/disk_image_publications/{id}")
    PublicationView show(@PathVariable String id) {
        return PublicationView.of(
                publications.get(Params.pathId("publication/not-found", "disk image publication", id)));
    }

    /** The platform may be named by id or slug. */
    @GetMapping("/api/v1/system/node_platforms/{id}/disk_image_publications")
    ListResponse<PublicationView> forPlatform(
            @PathVariable String id,
            @RequestParam(required = false) String status,
            @RequestParam(required = false) String arch,
            @RequestParam(required = false) String family,
            @RequestParam(required = false) String page,
            @RequestParam(name = "per_page", required = false) String perPage) {
        UUID platformId = platforms.resolve(id).id();
        PublicationQuery query = filters(status, arch, family).forPlatform(platformId);
        return ListResponse.of(publications.list(query, Params.page(page, perPage)), PublicationView::of);
    }

    private static PublicationQuery filters(String status, String arch, String family) {
        return new PublicationQuery(
                null,
                empty(status) ? null : PublicationStatus.parse("status", status),
                empty(arch) ? null : Arch.parse("arch", arch),
                empty(family) ? null : ArtifactFamily.parse("family", family));
    }

    private static boolean empty(String s) {
        return s == null || s.isEmpty();
    }
}
