package dev.powernode.server.publication;

import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.PageRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/**
 * Read-only questions over many publications: the filtered, paged list operators see, and the
 * live publication an announcement repeats.
 */
@Repository
class PublicationSearch {
    private final JdbcClient jdbc;

    PublicationSearch(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    List<DiskImagePublication> page(PublicationQuery q, PageRequest page) {
        Map<String, Object> params = new HashMap<>();
        String where = where(q, params);
        params.put("limit", page.perPage());
        params.put("offset", page.offset());
        return jdbc.sql("select * from disk_image_publication" + where
                        + " order by created_at desc, id desc limit :limit offset :offset")
                .params(params)
                .query(PublicationRows::map)
                .list();
    }

    long count(PublicationQuery q) {
        Map<String, Object> params = new HashMap<>();
        String where = where(q, params);
        return jdbc.sql("select count(*) from disk_image_publication" + where)
                .params(params)
                .query(Long.class)
                .single();
    }

    private static String where(PublicationQuery q, Map<String, Object> params) {
        List<String> clauses = new ArrayList<>();
        if (q.nodePlatformId() != null) {
            clauses.add("node_platform_id = :platform");
            params.put("platform", q.nodePlatformId());
        }
        if (q.status() != null) {
            clauses.add("status = :status");
            params.put("status", q.status().value());
        }
        if (q.arch() != null) {
            clauses.add("arch = :arch");
            params.put("arch", q.arch().value());
        }
        if (q.family() != null) {
            clauses.add("artifact_family = :family");
            params.put("family", q.family().value());
        }
        return clauses.isEmpty() ? "" : " where " + String.join(" and ", clauses);
    }

    /** A live (queued, verifying, published or retired) publication of a triple with this manifest digest. */
    Optional<DiskImagePublication> findLiveByDigest(
            UUID platformId, ArtifactFamily family, Arch arch, String manifestDigest) {
        return jdbc.sql("""
                select * from (
                    -- each branch reads its partial index (announced_once, by_manifest_digest)
                    select * from disk_image_publication
                    where manifest_digest = :digest and build_time is not null and node_platform_id = :platform
                      and artifact_family = :family and arch = :arch
                      and status in ('queued', 'verifying', 'published', 'retired')
                    union all
                    select * from disk_image_publication
                    where manifest_digest = :digest and build_time is null and node_platform_id = :platform
                      and artifact_family = :family and arch = :arch
                      and status in ('queued', 'verifying', 'published', 'retired')
                ) live
                order by created_at, id limit 1
                """)
                .param("digest", manifestDigest)
                .param("platform", platformId)
                .param("family", family.value())
                .param("arch", arch.value())
                .query(PublicationRows::map)
                .optional();
    }
}
