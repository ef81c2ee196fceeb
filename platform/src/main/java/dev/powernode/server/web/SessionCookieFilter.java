package dev.powernode.server.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.context.SecurityContext;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationProvider;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates a page request by its session cookie with the API's JWT decoder (so a revoked or
 * expired session is refused as a revoked or expired API token is) and the API's scope mapping. A
 * request without a valid session stays anonymous, and the chain sends it to the login. Made by
 * {@link WebSecurityConfiguration} for its chain only, never a bean (a bean filter would run on every
 * route).
 */
final class SessionCookieFilter extends OncePerRequestFilter {
    private final JwtAuthenticationProvider provider;

    SessionCookieFilter(JwtDecoder decoder) {
        this.provider = new JwtAuthenticationProvider(decoder);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String token = WebSecurityConfiguration.sessionToken(request);
        if (token != null) {
            try {
                SecurityContext context = SecurityContextHolder.createEmptyContext();
                context.setAuthentication(provider.authenticate(new BearerTokenAuthenticationToken(token)));
                SecurityContextHolder.setContext(context);
            } catch (AuthenticationException e) {
                // stays anonymous: the entry point drops the cookie on the way to the login
            }
        }
        chain.doFilter(request, response);
    }
}
