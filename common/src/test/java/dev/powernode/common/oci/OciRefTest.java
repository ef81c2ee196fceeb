package dev.powernode.common.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OciRefTest {
    static final String HEX = "ab".repeat(32);

    @Test
    void parsesDigestAndTagReferencesWithPorts() {
        OciRef r = OciRef.parse("127.0.0.1:5000/account/disk-images@sha256:" + HEX);
        assertThat(r.registry()).isEqualTo("127.0.0.1:5000");
        assertThat(r.repository()).isEqualTo("account/disk-images");
        assertThat(r.digest().hex()).isEqualTo(HEX);
        assertThat(r.hostname()).isEqualTo("127.0.0.1");
        assertThat(r.toString()).isEqualTo("127.0.0.1:5000/account/disk-images@sha256:" + HEX);

        OciRef t = OciRef.parse("registry.example.org/disk-images:v1.2");
        assertThat(t.tag()).isEqualTo("v1.2");
        assertThat(t.reference()).isEqualTo("v1.2");
    }

    @Test
    void refusesReferencesWithoutHostOrWithBadParts() {
        assertThatThrownBy(() -> OciRef.parse("disk-images@sha256:" + HEX))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OciRef.parse("r.example/Upper@sha256:" + HEX))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OciRef.parse("r.example/x@sha256:abc")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OciRef.parse("r.example/x@md5:" + HEX)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OciRef.parse("r.example/x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OciRef.parse("evil host/x:t")).isInstanceOf(IllegalArgumentException.class);
    }
}
