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
    void signsTimestampDotBodyWithHmacSha256() throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
        byte[] expected = mac.doFinal("1700000000.{\"platform\":\"p\"}".getBytes(StandardCharsets.UTF_8));

        assertThat(WebhookSignature.sign(SECRET, 1_700_000_000L, BODY))
                .isEqualTo("sha256=" + java.util.HexFormat.of().formatHex(expected));
    }

    @Test
    void verifiesOnlyTheExactBodyTimestampAndSecret() {
        String sig = WebhookSignature.sign(SECRET, 1_700_000_000L, BODY);
        assertThat(WebhookSignature.verify(SECRET, 1_700_000_000L, BODY, sig)).isTrue();
        assertThat(WebhookSignature.verify(SECRET, 1_700_000_001L, BODY, sig)).isFalse();
        assertThat(WebhookSignature.verify(SECRET, 1_700_000_000L, "{}".getBytes(), sig))
                .isFalse();
        assertThat(WebhookSignature.verify("other".getBytes(), 1_700_000_000L, BODY, sig))
                .isFalse();
    }

    @Test
    void rejectsMalformedSignatureHeaders() {
        assertThat(WebhookSignature.verify(SECRET, 1, BODY, null)).isFalse();
        assertThat(WebhookSignature.verify(SECRET, 1, BODY, "")).isFalse();
        assertThat(WebhookSignature.verify(SECRET, 1, BODY, "sha1=abc")).isFalse();
        assertThat(WebhookSignature.verify(SECRET, 1, BODY, "sha256=" + "zz".repeat(32)))
                .isFalse();
        assertThat(WebhookSignature.verify(SECRET, 1, BODY, "sha256=" + "00".repeat(31)))
                .isFalse();
    }
}
