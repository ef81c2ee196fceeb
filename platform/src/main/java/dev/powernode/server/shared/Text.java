package dev.powernode.server.shared;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Optional;
import java.util.UUID;

/** Lenient parsing of identifiers and URLs that arrive as text from operators and runners. */
public final class Text {
    private Text() {}

    /** The UUID {@code text} spells in canonical 36-character form, or empty (a slug, garbage, null). */
    public static Optional<UUID> uuid(String text) {
        try {
            return text != null && text.length() == 36 ? Optional.of(UUID.fromString(text)) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** True for an absolute http or https URL with a host. */
    public static boolean isHttpUrl(String text) {
        if (text == null) {
            return false;
        }
        try {
            URI uri = new URI(text);
            return uri.isAbsolute()
                    && uri.getHost() != null
                    && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()));
        } catch (URISyntaxException e) {
            return false;
        }
    }
}
