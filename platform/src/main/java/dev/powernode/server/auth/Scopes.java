package dev.powernode.server.auth;

import dev.powernode.common.token.Scope;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;

/**
 * Scopes as Spring Security sees them: the authority a token's scope becomes ({@code
 * SCOPE_<scope>}, Spring's JWT convention), and back. Every adapter asks here, so the rule "what a
 * scope grants" is written once: {@code system:admin} may do everything.
 */
public final class Scopes {
    static final String PREFIX = "SCOPE_";
    public static final String READ = authority(Scope.DISK_IMAGES_READ);
    public static final String WRITE = authority(Scope.DISK_IMAGES_WRITE);
    public static final String ADMIN = authority(Scope.SYSTEM_ADMIN);

    private Scopes() {}

    /** The authority a token with {@code scope} holds. */
    public static String authority(Scope scope) {
        return PREFIX + scope.value();
    }

    /** The scopes the caller's token carries (unknown ones left out). */
    public static Set<Scope> held(Authentication auth) {
        Set<Scope> out = new TreeSet<>();
        for (GrantedAuthority a : auth.getAuthorities()) {
            String name = a.getAuthority();
            if (name != null && name.startsWith(PREFIX)) {
                Scope.parse(name.substring(PREFIX.length())).ifPresent(out::add);
            }
        }
        return out;
    }

    /** Whether the caller may do what {@code needed} allows ({@code system:admin} may do everything). */
    public static boolean allows(Authentication auth, Scope needed) {
        Set<Scope> held = held(auth);
        return held.contains(Scope.SYSTEM_ADMIN) || held.contains(needed);
    }
}
