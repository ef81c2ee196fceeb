package dev.powernode.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.modulith.core.ApplicationModules;

/**
 * Module boundaries (CONVENTIONS.md): feature packages talk only through each other's top-level
 * (public) types, no cycles, and no module depends on the {@code api} adapter.
 */
class ModuleStructureTest {
    static final ApplicationModules MODULES = ApplicationModules.of(PowernodeApplication.class);

    @Test
    void modulesRespectTheirBoundaries() {
        MODULES.verify();
    }

    @Test
    void nothingDependsOnTheApiAdapter() {
        MODULES.forEach(module -> assertThat(module.getName().equals("api")
                        || !module.getDirectDependencies(MODULES).containsModuleNamed("api"))
                .as("%s must not depend on the api adapter", module.getName())
                .isTrue());
    }

    @Test
    void theExpectedModulesAreDetected() {
        assertThat(MODULES.stream().map(m -> m.getName()))
                .contains("api", "auth", "ci", "platform", "publication", "shared", "webhook");
    }
}
