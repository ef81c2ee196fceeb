package dev.powernode.common.webhook;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The webhook signing scheme (docs/ingest.md, Signing), used by the runner side to sign and by
 * the platform to verify: {@code X-Powernode-Signature: sha256=<hex HMAC-SHA256(secret,
 * timestamp + "." + delivery_id + "." + raw body)>}, {@code X-Powernode-Timestamp} in unix seconds,
 * {@code X-Powernode-Delivery} a unique id. The delivery id is signed so that a captured request
 * cannot be re-sent under a fresh id; there is no other (older) form.
 */
public final class WebhookSignature {
    public static final String DELIVERY_HEADER = "X-Powernode-Delivery";
    public static final String TIMESTAMP_HEADER = "X-Powernode-Timestamp";
    public static final String SIGNATURE_HEADER = "X-Powernode-Signature";
    private static final String PREFIX = "sha256=";

    private WebhookSignature() {}

    /** The signature header value for {@code body} sent at {@code unixSeconds} as delivery {@code deliveryId}. */
    public static String sign(byte[] secret, long unixSeconds, String deliveryId, byte[] body) {
        return PREFIX + HexFormat.of().formatHex(mac(secret, unixSeconds, deliveryId, body));
    }

    /**
     * True when {@code header} is a well-formed signature of {@code body} at {@code unixSeconds}
     * under {@code deliveryId}. The comparison takes the same time wherever the first difference is.
     */
    public static boolean verify(byte[] secret, long unixSeconds, String deliveryId, byte[] body, String header) {
        byte[] given = parse(header);
        if (given == null || deliveryId == null) {
            return false;
        }
        return MessageDigest.isEqual(mac(secret, unixSeconds, deliveryId, body), given);
    }

    /**
     * The HMAC of a well-formed header value as lowercase hex (the form the platform records to
     * spot a replayed signature), or null when the header is not {@code sha256=<64 hex digits>}.
     */
    public static String hex(String header) {
        byte[] given = parse(header);
        return given == null ? null : HexFormat.of().formatHex(given);
    }

    private static byte[] parse(String header) {
        if (header == null || !header.startsWith(PREFIX) || header.length() != PREFIX.length() + 64) {
            return null;
        }
        try {
            return HexFormat.of().parseHex(header.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static byte[] mac(byte[] secret, long unixSeconds, String deliveryId, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(Long.toString(unixSeconds).getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) '.');
            mac.update(deliveryId.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) '.');
            mac.update(body);
            return mac.doFinal();
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
