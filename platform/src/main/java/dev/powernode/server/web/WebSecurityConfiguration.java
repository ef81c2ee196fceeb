package dev.powernode.server.web;

import dev.powernode.server.auth.Scopes;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import org.jspecify.annotations.Nullable;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.csrf.CookieCsrfTokenRepository;
import org.springframework.security.web.csrf.CsrfException;
import org.springframework.security.web.csrf.CsrfFilter;

/**
 * Security for {@code /ui}: the session token is read from the {@code pn_session} cookie (HttpOnly,
 * SameSite=Strict, Secure over https) and checked exactly as an API bearer token is (signature,
 * expiry, issuer, not revoked: {@link SessionCookieFilter}); without a valid one a page redirects to
 * the login. Every form
 * carries a CSRF token checked against a cookie (no server-side session: any replica serves any
 * page). Pages allow only their own scripts and styles.
 */
@Configuration(proxyBeanMethods = false)
class WebSecurityConfiguration {
    static final String SESSION_COOKIE = "pn_session";
    static final String READ = Scopes.READ;
    static final String WRITE = Scopes.WRITE;
    static final String ADMIN = Scopes.ADMIN;

    @Bean
    @Order(0)
    SecurityFilterChain uiSecurity(HttpSecurity http, JwtDecoder decoder) throws Exception {
        AuthenticationEntryPoint toLogin = (req, res, ex) -> {
            // a stale or revoked session cookie is dropped on the way to the login
            res.addHeader("Set-Cookie", Sessions.clearCookie(req.isSecure()));
            res.sendRedirect(req.getContextPath() + "/ui/login");
        };
        // a missing or forged CSRF token, or a read-only session asking to change something
        AccessDeniedHandler refused = (req, res, ex) -> {
            res.setStatus(403);
            res.setContentType("text/html;charset=UTF-8");
            String why = ex instanceof CsrfException
                    ? "the form was not one this site served (its CSRF token is missing or wrong): reload the page"
                    : "your session's scopes do not allow this (it needs disk_images:write)";
            res.getWriter()
                    .write("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Refused</title>"
                            + "<link rel=\"stylesheet\" href=\"/ui/assets/app.css\"></head><body><main class=\"narrow\">"
                            + "<h1>Refused</h1><p class=\"error\" role=\"alert\">" + why + "</p>"
                            + "<p><a href=\"/ui\">← Platforms</a></p></main></body></html>");
        };
        CookieCsrfTokenRepository csrf = new CookieCsrfTokenRepository();
        csrf.setCookiePath("/ui");
        csrf.setCookieCustomizer(c -> c.sameSite("Strict"));
        http.securityMatcher("/ui", "/ui/**")
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(c -> c.disable())
                .formLogin(f -> f.disable())
                .httpBasic(b -> b.disable())
                .logout(l -> l.disable())
                .csrf(c -> c.csrfTokenRepository(csrf))
                .authorizeHttpRequests(a -> a.requestMatchers("/ui/login", "/ui/assets/**")
                        .permitAll()
                        // what changes something needs the scope its REST route needs
                        .requestMatchers("/ui/platforms/*/publications/*/make-current")
                        .hasAnyAuthority(WRITE, ADMIN)
                        .requestMatchers(
                                HttpMethod.POST, "/ui/platforms/*/retention", "/ui/platforms/*/retention-count")
                        .hasAnyAuthority(WRITE, ADMIN)
                        .anyRequest()
                        .hasAnyAuthority(READ, WRITE, ADMIN))
                // not Spring's resource server: it treats a request carrying its token as exempt from
                // CSRF, right for an Authorization header, wrong for a cookie the browser sends itself
                .addFilterAfter(new SessionCookieFilter(decoder), CsrfFilter.class)
                .exceptionHandling(e -> e.authenticationEntryPoint(toLogin).accessDeniedHandler(refused))
                .headers(h -> h.contentSecurityPolicy(c -> c.policyDirectives(
                        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self';"
                                + " base-uri 'none'; object-src 'none'")));
        return http.build();
    }

    /** The session cookie's token; none on the login page and the assets, so a stale one cannot loop. */
    static @Nullable String sessionToken(HttpServletRequest request) {
        String path = request.getRequestURI();
        if (path.equals("/ui/login") || path.startsWith("/ui/assets/") || request.getCookies() == null) {
            return null;
        }
        for (Cookie c : request.getCookies()) {
            if (SESSION_COOKIE.equals(c.getName()) && !c.getValue().isBlank()) {
                return c.getValue();
            }
        }
        return null;
    }
}
