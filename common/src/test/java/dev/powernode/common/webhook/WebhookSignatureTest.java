package dev.powernode.common.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class WebhookSignatureTest {
    static final byte[] SECRET = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    static final byte[] BODY = "{\"platform\":\"p\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void signsTimestampDotDeliveryIdDotBodyWithHmacSha256() throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
        byte[] expected = mac.doFinal("1700000000.d-1.{\"platform\":\"p\"}".getBytes(StandardCharsets.UTF_8));

        assertThat(WebhookSignature.sign(SECRET, 1_700_000_000L, "d-1", BODY))
                .isEqualTo("sha256=" + java.util.HexFormat.of().formatHex(expected));
    }

    /** The worked example of docs/ingest.md, byte for byte: the docs and the code cannot drift apart. */
    @Test
    void matchesTheWorkedExampleInTheIngestDocs() {
        byte[] secret =
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        String body = "{\"platform\":\"ubuntu-2404-base\",\"artifact_family\":\"uefi_disk\",\"arch\":\"amd64\","
                + "\"oci_ref\":\"registry.example.org/disk-images@sha256:"
                + "1111111111111111111111111111111111111111111111111111111111111111\","
                + "\"sha256\":\"2222222222222222222222222222222222222222222222222222222222222222\","
                + "\"size_bytes\":1073741824,\"git_sha\":\"0123456789abcdef0123456789abcdef01234567\","
                + "\"build_time\":\"2026-11-29T01:30:00Z\"}";
        assertThat(body).hasSize(382);

        String signature = WebhookSignature.sign(
                secret, 1_795_916_400L, "8b0c7a9e-2f4d-4c61-9a57-0d3e5f6a7b8c", body.getBytes(StandardCharsets.UTF_8));

        assertThat(signature).isEqualTo("sha256=af9294af291f977919bf7c7a92bab81ce86764893925d28cc64865f25a3febb5");
    }

    @Test
    void verifiesOnlyTheExactBodyTimestampDeliveryIdAndSecret() {
        String sig = WebhookSignature.sign(SECRET, 1_700_000_000L, "d-1", BODY);
        assertThat(WebhookSignature.verify(SECRET, 1_700_000_000L, "d-1", BODY, sig))
                .isTrue();
        assertThat(WebhookSignature.verify(SECRET, 1_700_000_001L, "d-1", BODY, sig))
                .isFalse();
        assertThat(WebhookSignature.verify(SECRET, 1_700_000_000L, "d-2", BODY, sig))
                .as("a captured signature is worthless under another delivery id")
                .isFalse();
        assertThat(WebhookSignature.verify(SECRET, 1_700_000_000L, "d-1", "{}".getBytes(), sig))
                .isFalse();
        assertThat(WebhookSignature.verify("other".getBytes(), 1_700_000_000L, "d-1", BODY, sig))
                .isFalse();
        assertThat(WebhookSignature.verify(SECRET, 1_700_000_000L, null, BODY, sig))
                .isFalse();
    }

    @Test
    void theOldTimestampDotBodyFormIsRefused() throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
        String old = "sha256="
                + java.util.HexFormat.of()
                        .formatHex(mac.doFinal("1700000000.{\"platform\":\"p\"}".getBytes(StandardCharsets.UTF_8)));

        assertThat(WebhookSignature.verify(SECRET, 1_700_000_000L, "d-1", BODY, old))
                .isFalse();
    }

    @Test
    void rejectsMalformedSignatureHeaders() {
        assertThat(WebhookSignature.verify(SECRET, 1, "d", BODY, null)).isFalse();
        assertThat(WebhookSignature.verify(SECRET, 1, "d", BODY, "")).isFalse();
        assertThat(WebhookSignature.verify(SECRET, 1, "d", BODY, "sha1=abc")).isFalse();
        assertThat(WebhookSignature.verify(SECRET, 1, "d", BODY, "sha256=" + "zz".repeat(32)))
                .isFalse();
        assertThat(WebhookSignature.verify(SECRET, 1, "d", BODY, "sha256=" + "00".repeat(31)))
                .isFalse();
        assertThat(WebhookSignature.hex("sha256=" + "AB".repeat(32))).isEqualTo("ab".repeat(32));
        assertThat(WebhookSignature.hex("sha256=xyz")).isNull();
    }
}
