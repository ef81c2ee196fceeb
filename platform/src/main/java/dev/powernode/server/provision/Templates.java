package dev.powernode.server.provision;

import dev.powernode.server.platform.NodePlatform;
import dev.powernode.server.platform.NodePlatforms;
import dev.powernode.server.shared.Arch;
import dev.powernode.server.shared.ArtifactFamily;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.Ids;
import dev.powernode.server.shared.Violations;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** Node templates: create, list, read, delete. */
@Service
public class Templates {
    static final Pattern NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$");
    static final Pattern IMAGE_DIR = Pattern.compile("^/[^\\n'\"<>&]{0,499}$");
    static final String DEFAULT_IMAGE_DIR = "/var/lib/libvirt/images";

    private final JdbcClient jdbc;
    private final NodePlatforms platforms;
    private final Clock clock;

    Templates(JdbcClient jdbc, NodePlatforms platforms, Clock clock) {
        this.jdbc = jdbc;
        this.platforms = platforms;
        this.clock = clock;
    }

    /** What a new template asks for; null settings take their defaults (2048 MiB, 2 vCPUs, libvirt's images). */
    public record NewTemplate(
            @Nullable String name,
            @Nullable String platform,
            @Nullable String artifactFamily,
            @Nullable String arch,
            @Nullable Integer memoryMib,
            @Nullable Integer vcpus,
            @Nullable String imageDir) {}

    /** Creates a template; its name is unique (CONFLICT {@code template/name-taken}). */
    @Transactional
    public NodeTemplate create(NewTemplate t, String actor) {
        Violations v = new Violations();
        if (t.name() == null || !NAME.matcher(t.name()).matches()) {
            v.add("name", "must be 1-128 of A-Z a-z 0-9 . _ -, starting with a letter or digit");
        }
        if (t.platform() == null || t.platform().isBlank()) {
            v.add("platform", "is required: the platform's slug or id");
        }
        ArtifactFamily family = v.parse(() -> ArtifactFamily.parse("artifact_family", t.artifactFamily()));
        if (family != null && family != ArtifactFamily.UEFI_DISK && family != ArtifactFamily.QCOW2) {
            v.add(
                    "artifact_family",
                    "must be uefi_disk (a raw disk) or qcow2 (a VM): only disks carry an identity slot");
        }
        Arch arch = v.parse(() -> Arch.parse("arch", t.arch()));
        int memory = t.memoryMib() == null ? 2048 : t.memoryMib();
        if (memory < 256 || memory > 1_048_576) {
            v.add("memory_mib", "must be 256-1048576");
        }
        int vcpus = t.vcpus() == null ? 2 : t.vcpus();
        if (vcpus < 1 || vcpus > 256) {
            v.add("vcpus", "must be 1-256");
        }
        String dir = t.imageDir() == null ? DEFAULT_IMAGE_DIR : t.imageDir();
        if (!IMAGE_DIR.matcher(dir).matches() || dir.contains("/../") || dir.endsWith("/..")) {
            v.add("image_dir", "must be an absolute path on the hypervisor, without quotes, <, > or &");
        }
        v.throwIfAny();
        NodePlatform p = platforms.resolve(t.platform());
        var id = Ids.newId();
        try {
            jdbc.sql("""
                    insert into node_template (id, name, node_platform_id, artifact_family, arch, memory_mib, vcpus,
                                               image_dir, created_by, created_at)
                    values (:id, :name, :platform, :family, :arch, :memory, :vcpus, :dir, :by, :now)
                    """)
                    .param("id", id)
                    .param("name", t.name())
                    .param("platform", p.id())
                    .param("family", family.value())
                    .param("arch", arch.value())
                    .param("memory", memory)
                    .param("vcpus", vcpus)
                    .param("dir", dir.length() > 1 && dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir)
                    .param("by", actor)
                    .param("now", Timestamp.from(clock.instant()))
                    .update();
        } catch (DuplicateKeyException e) {
            throw DomainException.conflict("template/name-taken", "a template named '" + t.name() + "' exists");
        }
        return get(t.name());
    }

    /** All templates, by name. */
    @Transactional(readOnly = true)
    public List<NodeTemplate> list() {
        return jdbc.sql("select * from node_template order by name")
                .query(Templates::row)
                .list();
    }

    /** The template named {@code name}, or NOT_FOUND {@code template/not-found}. */
    @Transactional(readOnly = true)
    public NodeTemplate get(String name) {
        return jdbc.sql("select * from node_template where name = :name")
                .param("name", name)
                .query(Templates::row)
                .optional()
                .orElseThrow(() -> DomainException.notFound("template/not-found", "no template '" + name + "'"));
    }

    /** Deletes a template; the nodes made from it stay (they are nodes like any other). */
    @Transactional
    public void delete(String name) {
        if (jdbc.sql("delete from node_template where name = :name")
                        .param("name", name)
                        .update()
                == 0) {
            throw DomainException.notFound("template/not-found", "no template '" + name + "'");
        }
    }

    private static NodeTemplate row(ResultSet rs, int n) throws SQLException {
        return new NodeTemplate(
                rs.getObject("id", java.util.UUID.class),
                rs.getString("name"),
                rs.getObject("node_platform_id", java.util.UUID.class),
                ArtifactFamily.parse("artifact_family", rs.getString("artifact_family")),
                Arch.parse("arch", rs.getString("arch")),
                rs.getInt("memory_mib"),
                rs.getInt("vcpus"),
                rs.getString("image_dir"),
                rs.getString("created_by"),
                rs.getTimestamp("created_at").toInstant());
    }
}
