package dev.powernode.common.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The webhook signing scheme (DESIGN.md, wire contracts), used by the runner side to sign and by
 * the platform to verify: {@code X-Powernode-Signature: sha256=<hex HMAC-SHA256(secret,
 * timestamp + "." + raw body)>}, {@code X-Powernode-Timestamp} in unix seconds,
 * {@code X-Powernode-Delivery} a unique id.
 */
public final class WebhookSignature {
    public static final String DELIVERY_HEADER = "X-Powernode-Delivery";
    public static final String TIMESTAMP_HEADER = "X-Powernode-Timestamp";
    public static final String SIGNATURE_HEADER = "X-Powernode-Signature";
    private static final String PREFIX = "sha256=";

    private WebhookSignature() {}

    /** The signature header value for {@code body} sent at {@code unixSeconds}. */
    public static String sign(byte[] secret, long unixSeconds, byte[] body) {
        return PREFIX + HexFormat.of().formatHex(mac(secret, unixSeconds, body));
    }

    /**
     * True when {@code header} is a well-formed signature of {@code body} at {@code unixSeconds}.
     * The comparison takes the same time wherever the first difference is.
     */
    public static boolean verify(byte[] secret, long unixSeconds, byte[] body, String header) {
        if (header == null || !header.startsWith(PREFIX) || header.length() != PREFIX.length() + 64) {
            return false;
        }
        byte[] given;
        try {
            given = HexFormat.of().parseHex(header.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(mac(secret, unixSeconds, body), given);
    }

    private static byte[] mac(byte[] secret, long unixSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(Long.toString(unixSeconds).getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) '.');
            mac.update(body);
            return mac.doFinal();
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
