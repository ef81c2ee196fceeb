package dev.powernode.server.publication;

import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.Page;
import dev.powernode.server.shared.PageRequest;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Reads DiskImagePublications; newest first. */
@Service
public class Publications {
    private final PublicationRepository repository;

    Publications(PublicationRepository repository) {
        this.repository = repository;
    }

    @Transactional(readOnly = true)
    public Page<DiskImagePublication> list(PublicationQuery query, PageRequest page) {
        return new Page<>(repository.page(query, page), page.page(), page.perPage(), repository.count(query));
    }

    /** The publication with this id, or NOT_FOUND ({@code publication/not-found}). */
    @Transactional(readOnly = true)
    public DiskImagePublication get(UUID id) {
        return repository
                .findById(id)
                .orElseThrow(() ->
                        DomainException.notFound("publication/not-found", "no disk image publication '" + id + "'"));
    }
}
