package dev.powernode.common.oci;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One authentication challenge from a {@code WWW-Authenticate} header (RFC 7235): a scheme in
 * lower case and its parameters, e.g. {@code bearer} with realm, service and scope.
 */
record Challenge(String scheme, Map<String, String> params) {
    static final String BASIC = "basic";
    static final String BEARER = "bearer";

    Challenge {
        params = Map.copyOf(params);
    }

    String param(String name) {
        return params.get(name);
    }

    /**
     * The challenge we answer among the header values: Bearer when offered (it carries the scope
     * the registry wants), else Basic, else none.
     */
    static Optional<Challenge> choose(List<String> headerValues) {
        List<Challenge> all = new ArrayList<>();
        for (String value : headerValues) {
            all.addAll(parse(value));
        }
        return all.stream()
                .filter(c -> c.scheme.equals(BEARER))
                .findFirst()
                .or(() -> all.stream().filter(c -> c.scheme.equals(BASIC)).findFirst());
    }

    /**
     * Parses a header value that may hold several challenges ({@code Basic realm="a", Bearer
     * realm="b",scope="c"}). Malformed tails are dropped rather than failing: the registry's 401
     * is then reported as such, which tells the operator more than a parse error would.
     */
    static List<Challenge> parse(String header) {
        List<Challenge> result = new ArrayList<>();
        if (header == null) {
            return result;
        }
        Cursor in = new Cursor(header);
        while (true) {
            in.skip(" \t,");
            String scheme = in.token();
            if (scheme.isEmpty()) {
                return result;
            }
            Map<String, String> params = new LinkedHashMap<>();
            while (true) {
                int mark = in.pos;
                in.skip(" \t,");
                String name = in.token();
                in.skip(" \t");
                if (name.isEmpty() || !in.consume('=')) {
                    // not a parameter: the next challenge's scheme (or the end)
                    in.pos = mark;
                    break;
                }
                in.skip(" \t");
                params.put(name.toLowerCase(Locale.ROOT), in.peek() == '"' ? in.quoted() : in.token());
            }
            result.add(new Challenge(scheme.toLowerCase(Locale.ROOT), params));
        }
    }

    private static final class Cursor {
        final String s;
        int pos;

        Cursor(String s) {
            this.s = s;
        }

        char peek() {
            return pos < s.length() ? s.charAt(pos) : 0;
        }

        boolean consume(char c) {
            if (peek() == c) {
                pos++;
                return true;
            }
            return false;
        }

        void skip(String chars) {
            while (pos < s.length() && chars.indexOf(s.charAt(pos)) >= 0) {
                pos++;
            }
        }

        String token() {
            int start = pos;
            while (pos < s.length() && isTokenChar(s.charAt(pos))) {
                pos++;
            }
            return s.substring(start, pos);
        }

        String quoted() {
            StringBuilder out = new StringBuilder();
            pos++; // opening quote
            while (pos < s.length()) {
                char c = s.charAt(pos++);
                if (c == '"') {
                    break;
                }
                if (c == '\\' && pos < s.length()) {
                    c = s.charAt(pos++);
                }
                out.append(c);
            }
            return out.toString();
        }

        private static boolean isTokenChar(char c) {
            return c > ' ' && c < 127 && "\"(),/:;<=>?@[\\]{}".indexOf(c) < 0
                    || c == '/'
                    || c == ':'; // token68 values and unquoted URLs seen in the wild
        }
    }
}
