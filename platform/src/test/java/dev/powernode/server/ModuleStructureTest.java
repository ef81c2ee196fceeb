package dev.powernode.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;
import org.springframework.modulith.docs.Documenter;

/**
 * Module boundaries (CONVENTIONS.md): each module declares its purpose and the modules it may use
 * in its {@code package-info.java} ({@code @ApplicationModule(allowedDependencies = …)});
 * {@code verify()} fails on a dependency outside that list, on a cycle, and on a reach into another
 * module's sub-packages (its internals). The module diagrams and canvases in docs/modules are
 * generated from the code here, and the test fails when they are stale.
 */
class ModuleStructureTest {
    static final ApplicationModules MODULES = ApplicationModules.of(PowernodeApplication.class);
    static final Path DOCS = Path.of("..", "docs", "modules");

    @Test
    void modulesRespectTheirDeclaredBoundaries() {
        MODULES.verify();
    }

    @Test
    void nothingDependsOnAnAdapter() {
        for (String adapter : java.util.List.of("api", "mcp", "web")) {
            MODULES.forEach(module -> assertThat(module.getName().equals(adapter)
                            || !module.getDirectDependencies(MODULES).containsModuleNamed(adapter))
                    .as("%s must not depend on the %s adapter", module.getName(), adapter)
                    .isTrue());
        }
    }

    @Test
    void everyModuleDeclaresItsDependencies() {
        MODULES.forEach(module -> assertThat(Files.exists(Path.of(
                        "src/main/java", module.getBasePackage().getName().replace('.', '/'), "package-info.java")))
                .as("%s has a package-info.java with @ApplicationModule", module.getName())
                .isTrue());
    }

    @Test
    void theExpectedModulesAreDetected() {
        assertThat(MODULES.stream().map(m -> m.getName()))
                .contains("api", "auth", "ci", "platform", "publication", "shared", "webhook");
    }

    /**
     * Regenerates the diagrams (PlantUML) and module canvases (AsciiDoc) and compares them with
     * docs/modules; {@code -Dpowernode.write-module-docs=true} writes them there instead.
     */
    @Test
    void theModuleDocsAreGeneratedFromTheCode() throws IOException {
        Path out = Path.of("target", "spring-modulith-docs");
        new Documenter(MODULES, Documenter.Options.defaults().withOutputFolder(out.toString()))
                .writeModulesAsPlantUml()
                .writeIndividualModulesAsPlantUml()
                .writeModuleCanvases();
        if (Boolean.getBoolean("powernode.write-module-docs")) {
            Files.createDirectories(DOCS);
            for (Path f : files(DOCS)) {
                Files.delete(f);
            }
            for (Path f : files(out)) {
                Files.copy(f, DOCS.resolve(f.getFileName()));
            }
        }
        List<Path> generated = files(out);
        assertThat(generated).isNotEmpty();
        assertThat(files(DOCS).stream().map(Path::getFileName).map(Path::toString))
                .as("docs/modules holds exactly what the code generates (-Dpowernode.write-module-docs=true)")
                .containsExactlyInAnyOrderElementsOf(generated.stream()
                        .map(Path::getFileName)
                        .map(Path::toString)
                        .toList());
        // the Documenter orders relations and bullets by hash order, which varies between runs:
        // the lines are compared as a multiset
        for (Path f : generated) {
            assertThat(Files.readAllLines(DOCS.resolve(f.getFileName())))
                    .as(
                            "docs/modules/%s is stale: run the test with -Dpowernode.write-module-docs=true",
                            f.getFileName())
                    .containsExactlyInAnyOrderElementsOf(Files.readAllLines(f));
        }
    }

    private static List<Path> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
