package dev.powernode.cli.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.powernode.common.cosign.PemKeys;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The agent's config, identity and reboot policy: what they accept and how they refuse. */
class AgentSettingsTest {
    static String pem() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return PemKeys.toPem(g.generateKeyPair().getPublic()).replace("\n", "\\n");
    }

    @Test
    void aMinimalConfigTakesTheDefaults() throws Exception {
        AgentConfig c = AgentConfig.parse("{\"signers\": {\"keys\": [\"" + pem() + "\"]}}", "agent.json");

        assertThat(c.bootTries()).isEqualTo(3);
        assertThat(c.poll()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.reboot().mode()).isEqualTo(RebootPolicy.Mode.IMMEDIATE);
        assertThat(c.rebootCommand()).containsExactly("systemctl", "reboot");
        assertThat(c.fsVerity()).isTrue();
        assertThat(c.signers().keys()).hasSize(1);
    }

    @Test
    void everyBadFieldIsNamed() throws Exception {
        String key = pem();
        assertThatThrownBy(() -> AgentConfig.parse("{}", "agent.json"))
                .isInstanceOf(AgentException.class)
                .hasMessageContaining("\"signers\" is required");
        assertThatThrownBy(() -> AgentConfig.parse("{\"signers\": {\"issuer\": \"https://x\"}}", "agent.json"))
                .hasMessageContaining("both identity_regexp and issuer");
        assertThatThrownBy(() -> AgentConfig.parse(
                        "{\"signers\": {\"keys\": [\"" + key + "\"]}, \"boot_tries\": 0}", "agent.json"))
                .hasMessageContaining("boot_tries must be a whole number from 1 to 9");
        assertThatThrownBy(() -> AgentConfig.parse(
                        "{\"signers\": {\"keys\": [\"" + key + "\"]}, \"reboot\": \"sometimes\"}", "agent.json"))
                .hasMessageContaining("reboot must be");
        assertThatThrownBy(() -> AgentConfig.parse(
                        "{\"signers\": {\"keys\": [\"" + key + "\"]}, \"rebot\": \"manual\"}", "agent.json"))
                .hasMessageContaining("unknown field \"rebot\"");
        assertThatThrownBy(() -> AgentConfig.parse("{\"signers\": {\"keys\": [\"not a key\"]}}", "agent.json"))
                .hasMessageContaining("signers.keys[0] is not a PEM public key");
        assertThatThrownBy(() -> AgentConfig.parse("[", "agent.json")).hasMessageContaining("not JSON");
    }

    @Test
    void aMaintenanceWindowWaitsUntilItOpensAndMaySpanMidnight() {
        RebootPolicy night = RebootPolicy.parse("window 23:00-02:00");
        assertThat(night.waitFrom(Instant.parse("2026-11-29T23:30:00Z"))).isZero();
        assertThat(night.waitFrom(Instant.parse("2026-11-30T01:59:00Z"))).isZero();
        assertThat(night.waitFrom(Instant.parse("2026-11-30T02:00:00Z"))).isEqualTo(Duration.ofHours(21));
        RebootPolicy day = RebootPolicy.parse("window 02:00-04:00");
        assertThat(day.waitFrom(Instant.parse("2026-11-29T12:00:00Z"))).isEqualTo(Duration.ofHours(14));
        assertThat(RebootPolicy.parse("manual").waitFrom(Instant.now())).isNull();
        assertThatThrownBy(() -> RebootPolicy.parse("window 02:00-02:00")).isInstanceOf(AgentException.class);
        assertThatThrownBy(() -> RebootPolicy.parse("window 25:00-02:00")).isInstanceOf(AgentException.class);
    }

    @Test
    void theIdentityNeedsItsFieldsAndHidesItsToken() {
        Identity id = Identity.parse("""
                # comment
                device_id=n-1
                node_name=rack1
                platform=edge
                artifact_family=uefi_disk
                arch=amd64
                platform_url=http://10.0.2.100
                token=pnn_secret
                """, "identity.cfg");
        assertThat(id.token()).isEqualTo("pnn_secret");
        assertThat(id.toString()).doesNotContain("pnn_secret").contains("rack1");
        assertThatThrownBy(() -> Identity.parse("device_id=n-1\nplatform_url=ftp://x\n", "identity.cfg"))
                .hasMessageContaining("missing platform, artifact_family, arch, token");
        assertThatThrownBy(() -> Identity.parse("just words\n", "identity.cfg")).hasMessageContaining("not key=value");
    }
}
