package dev.powernode.common.oci;

import static dev.powernode.common.oci.RegistryTransport.discard;
import static dev.powernode.common.oci.RegistryTransport.encode;
import static dev.powernode.common.oci.RegistryTransport.json;
import static dev.powernode.common.oci.RegistryTransport.repository;

import dev.powernode.common.oci.RegistryTransport.Call;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import tools.jackson.databind.JsonNode;

/**
 * The paginated lists of {@link RegistryClient}: a repository's tags and a manifest's referrers
 * (with the tag-schema fallback for registries without the referrers API). Both follow
 * {@code Link} pagination through one loop that refuses a registry whose pages never end.
 */
final class Listings {
    private static final int MAX_PAGES = 10_000;
    /**
     * How long a registry whose referrers route does not exist (405, or a 404 that is not a
     * registry's JSON error: docker-registry's "404 page not found") is asked by the tag schema
     * only. Bounded, so an upgraded registry is noticed. A JSON 404 (an unknown repository) is not
     * remembered.
     */
    static final Duration NO_REFERRERS_API_FOR = Duration.ofMinutes(10);

    private final RegistryTransport transport;
    private final ManifestOperations manifests;
    private final Clock clock;
    /** Registry to when it last answered that it has no referrers route. */
    private final Map<String, Instant> withoutReferrersApi = new ConcurrentHashMap<>();

    Listings(RegistryTransport transport, ManifestOperations manifests, Clock clock) {
        this.transport = transport;
        this.manifests = manifests;
        this.clock = clock;
    }

    /** See {@link RegistryClient#listTags(String, String)}. */
    List<String> tags(String registry, String repository) {
        String what = "list tags of " + registry + "/" + repository;
        List<String> tags = new ArrayList<>();
        URI first = transport.url(registry, "/v2/" + repository(repository) + "/tags/list");
        Listed listed = pages(registry, repository, what, first, "application/json", Set.of(404), page -> {
            JsonNode pageTags = page.get("tags");
            if (pageTags == null || pageTags.isNull()) {
                return;
            }
            if (!pageTags.isArray()) {
                throw new RegistryException(RegistryException.Kind.INVALID, what + ": tags is not an array");
            }
            for (JsonNode tag : pageTags) {
                if (!tag.isString()) {
                    throw new RegistryException(RegistryException.Kind.INVALID, what + ": a tag is not a string");
                }
                tags.add(tag.stringValue());
            }
        });
        return listed == Listed.YES ? tags : List.of();
    }

    /** See {@link RegistryClient#referrers(String, String, Digest, String)}. */
    List<Descriptor> referrers(String registry, String repository, Digest subject, String artifactType) {
        String what = "list referrers of " + registry + "/" + repository + "@" + subject;
        String query = artifactType == null ? "" : "?artifactType=" + encode(artifactType);
        Instant none = withoutReferrersApi.get(registry);
        if (none != null && clock.instant().isBefore(none.plus(NO_REFERRERS_API_FOR))) {
            return withArtifactType(referrersByTag(registry, repository, subject), artifactType);
        }
        URI first = transport.url(registry, "/v2/" + repository(repository) + "/referrers/" + subject + query);
        List<Descriptor> found = new ArrayList<>();
        Listed listed = pages(registry, repository, what, first, MediaTypes.OCI_INDEX, Set.of(404, 405), index -> {
            try {
                found.addAll(ManifestJson.descriptors(index, "manifests"));
            } catch (IllegalArgumentException e) {
                throw new RegistryException(RegistryException.Kind.INVALID, what + ": " + e.getMessage());
            }
        });
        if (listed == Listed.YES) {
            withoutReferrersApi.remove(registry);
            return withArtifactType(found, artifactType);
        }
        if (listed == Listed.NO_ROUTE) {
            withoutReferrersApi.put(registry, clock.instant());
        }
        return withArtifactType(referrersByTag(registry, repository, subject), artifactType);
    }

    /** Whether a list was read, or why not. */
    private enum Listed {
        YES,
        /** the registry answered with its JSON error: no such list (e.g. an unknown repository) */
        NO_LIST,
        /** 405, or a 404 that is no registry error: the registry has no such route at all */
        NO_ROUTE
    }

    /**
     * Hands each page of the list at {@code first} to {@code page}, following {@code Link}
     * headers. Not {@link Listed#YES}, with nothing handed over, when the first page answers one of
     * {@code absent}.
     */
    private Listed pages(
            String registry,
            String repository,
            String what,
            URI first,
            String accept,
            Set<Integer> absent,
            Consumer<JsonNode> page) {
        URI next = first;
        Set<URI> seen = new HashSet<>();
        while (next != null) {
            if (seen.size() >= MAX_PAGES || !seen.add(next)) {
                throw new RegistryException(RegistryException.Kind.INVALID, what + ": pagination does not end");
            }
            Call call =
                    transport.call(registry, what).uri(next).pull(repository).header("Accept", accept);
            HttpResponse<InputStream> response = transport.send(call);
            if (absent.contains(response.statusCode()) && seen.size() == 1) {
                boolean registryError =
                        response.headers().firstValue("Content-Type").orElse("").contains("json");
                discard(response);
                return response.statusCode() == 405 || !registryError ? Listed.NO_ROUTE : Listed.NO_LIST;
            }
            if (response.statusCode() != 200) {
                throw transport.failure(call, response);
            }
            URI following = transport.nextPage(call, response);
            page.accept(json(call, transport.readBody(call, response, ManifestOperations.MAX_MANIFEST_BYTES)));
            next = following;
        }
        return Listed.YES;
    }

    private List<Descriptor> referrersByTag(String registry, String repository, Digest subject) {
        Manifest index;
        try {
            index = manifests.get(new OciRef(registry, repository, null, subject.tagPrefix()));
        } catch (RegistryException e) {
            if (e.kind() == RegistryException.Kind.NOT_FOUND) {
                return List.of();
            }
            throw e;
        }
        if (!MediaTypes.OCI_INDEX.equals(index.mediaType())) {
            throw new RegistryException(
                    RegistryException.Kind.INVALID,
                    "referrers of " + registry + "/" + repository + "@" + subject + ": tag " + subject.tagPrefix()
                            + " holds a " + index.mediaType() + ", not an OCI index");
        }
        return index.layers();
    }

    private static List<Descriptor> withArtifactType(List<Descriptor> descriptors, String artifactType) {
        return descriptors.stream()
                .filter(d -> artifactType == null || artifactType.equals(d.artifactType()))
                .toList();
    }
}
