package dev.powernode.server.auth;

import dev.powernode.common.token.TokenMinter;
import dev.powernode.server.shared.KeyMaterial;
import dev.powernode.server.shared.Problem;
import dev.powernode.server.shared.ProblemWriter;
import dev.powernode.server.shared.ServiceProperties;
import java.time.Clock;
import java.util.UUID;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.oauth2.core.DelegatingOAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2TokenValidator;
import org.springframework.security.oauth2.core.OAuth2TokenValidatorResult;
import org.springframework.security.oauth2.jose.jws.MacAlgorithm;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtIssuerValidator;
import org.springframework.security.oauth2.jwt.JwtTimestampValidator;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.web.BearerTokenAuthenticationEntryPoint;
import org.springframework.security.oauth2.server.resource.web.access.BearerTokenAccessDeniedHandler;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;
import org.springframework.security.web.firewall.RequestRejectedHandler;

/**
 * Bearer-token security for the API: HS256 JWTs signed with the configured key, scopes from the
 * {@code scope} claim, revocation checked against the token table. Errors are problem+json.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {
    static final String READ = Scopes.READ;
    static final String WRITE = Scopes.WRITE;
    static final String ADMIN = Scopes.ADMIN;

    /**
     * The runner-facing and node-facing APIs are authenticated by worker or node token in
     * WorkerTokenFilter and NodeTokenFilter (before this chain); they must not reach the JWT
     * resource server, which would reject the opaque token.
     */
    @Bean
    @Order(1)
    SecurityFilterChain workerApiSecurity(HttpSecurity http) throws Exception {
        http.securityMatcher("/api/v1/system/worker_api/**", "/api/v1/system/node_api/**")
                .csrf(csrf -> csrf.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(c -> c.disable())
                .authorizeHttpRequests(a -> a.anyRequest().permitAll());
        return http.build();
    }

    /**
     * Every other route. The webhook intake ({@code /api/v1/system/webhooks/disk_image/built/*}) is
     * not among them: api/WebhookIntakeFilter answers every request under it before Spring
     * Security's filter runs, so no rule here could apply to it (docs/api.md, "Ingest routes").
     */
    @Bean
    @Order(2)
    SecurityFilterChain apiSecurity(
            HttpSecurity http, JwtDecoder decoder, ProblemWriter problems, ServiceProperties props) throws Exception {
        var bearerEntryPoint = new BearerTokenAuthenticationEntryPoint();
        var bearerDenied = new BearerTokenAccessDeniedHandler();
        AuthenticationEntryPoint unauthenticated = (req, res, ex) -> {
            bearerEntryPoint.commence(req, res, ex);
            String detail = ex instanceof InvalidBearerTokenException
                    ? "bearer token rejected: " + ex.getMessage()
                    : "a bearer token is required (Authorization: Bearer <token>)";
            // the entry point set WWW-Authenticate (with the RFC 6750 error and resource metadata)
            problems.write(res, Problem.of(401, "auth/unauthenticated", detail), req.getRequestURI());
        };
        AccessDeniedHandler forbidden = (req, res, ex) -> {
            bearerDenied.handle(req, res, ex);
            problems.write(
                    res,
                    Problem.of(
                            403,
                            "auth/insufficient-scope",
                            "the token's scopes do not allow " + req.getMethod() + " " + req.getRequestURI()),
                    req.getRequestURI());
        };
        http.csrf(csrf -> csrf.disable())
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .requestCache(c -> c.disable())
                .formLogin(f -> f.disable())
                .httpBasic(b -> b.disable())
                .logout(l -> l.disable())
                .authorizeHttpRequests(
                        a -> a.requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/info", "/error")
                                .permitAll()
                                // MCP: any operator scope may connect; each tool checks the scope it needs
                                .requestMatchers("/mcp", "/mcp/**")
                                .hasAnyAuthority(READ, WRITE, ADMIN)
                                // a login link carries the caller's own scopes: any operator may ask
                                .requestMatchers(HttpMethod.POST, "/api/v1/system/ui_login_links")
                                .hasAnyAuthority(READ, WRITE, ADMIN)
                                .requestMatchers(HttpMethod.POST, "/api/v1/workers")
                                .hasAuthority(ADMIN)
                                .requestMatchers(HttpMethod.POST, "/api/v1/system/disk_image_webhooks")
                                .hasAuthority(ADMIN)
                                // bootstrap mints a webhook, a worker, tokens and writes Gitea secrets
                                .requestMatchers(HttpMethod.POST, "/api/v1/system/ci/bootstrap")
                                .hasAuthority(ADMIN)
                                .requestMatchers(
                                        "/api/v1/system/gitea/repos/*/*/action_secrets",
                                        "/api/v1/system/gitea/repos/*/*/action_secrets/*")
                                .hasAuthority(ADMIN)
                                // enrolment mints a node's credential, revocation voids it
                                .requestMatchers(HttpMethod.POST, "/api/v1/system/nodes")
                                .hasAuthority(ADMIN)
                                .requestMatchers(HttpMethod.DELETE, "/api/v1/system/nodes/*")
                                .hasAuthority(ADMIN)
                                // an instance from a template is an enrolment
                                .requestMatchers(HttpMethod.POST, "/api/v1/system/node_templates/*/instances")
                                .hasAuthority(ADMIN)
                                // the fleet's safety policy: who may let node reports move pointers
                                .requestMatchers(HttpMethod.PUT, "/api/v1/system/node_platforms/*/auto_rollback")
                                .hasAuthority(ADMIN)
                                .requestMatchers(HttpMethod.DELETE, "/api/v1/system/node_platforms/*/auto_rollback")
                                .hasAuthority(ADMIN)
                                .requestMatchers(
                                        "/api/v1/system/api_tokens",
                                        "/api/v1/system/api_tokens/**",
                                        "/api/v1/system/event_subscriptions",
                                        "/api/v1/system/event_subscriptions/**")
                                .hasAuthority(ADMIN)
                                .requestMatchers(HttpMethod.GET, "/api/v1/**")
                                .hasAnyAuthority(READ, ADMIN)
                                .requestMatchers("/api/v1/**")
                                .hasAnyAuthority(WRITE, ADMIN)
                                .requestMatchers("/actuator/**")
                                .hasAuthority(ADMIN)
                                .anyRequest()
                                .authenticated())
                .oauth2ResourceServer(o -> o.jwt(j -> j.decoder(decoder))
                        .authenticationEntryPoint(unauthenticated)
                        .accessDeniedHandler(forbidden)
                        // RFC 9728 metadata: only what holds here. Tokens are not bound to client
                        // certificates (Spring's default claims they are), and the resource is the
                        // configured public URL, not whatever Host header a caller sent.
                        .protectedResourceMetadata(m -> m.protectedResourceMetadataCustomizer(
                                b -> b.resource(props.publicUrl().toString())
                                        .claims(c -> c.remove("tls_client_certificate_bound_access_tokens")))))
                .exceptionHandling(
                        e -> e.authenticationEntryPoint(unauthenticated).accessDeniedHandler(forbidden));
        return http.build();
    }

    /**
     * URLs Spring Security's firewall refuses (a double slash, an encoded percent or backslash...)
     * answer problem+json directly rather than through the container's error dispatch.
     */
    @Bean
    RequestRejectedHandler problemJsonRequestRejected(ProblemWriter problems) {
        return (req, res, ex) -> {
            // written before the header-writing filters run: set what every other answer carries
            res.setHeader("X-Content-Type-Options", "nosniff");
            res.setHeader("Cache-Control", "no-store");
            problems.write(
                    res,
                    Problem.of(
                            400,
                            "request/rejected",
                            "the request URL was refused as potentially malicious (encoded or duplicate separators)"),
                    null);
        };
    }

    /**
     * HS256 tokens from our key, unexpired by the injected clock with a small explicit skew
     * ({@code POWERNODE_JWT_CLOCK_SKEW}, default 5 s; Spring's implicit default is 60 s), issued by
     * us and not revoked.
     */
    @Bean
    JwtDecoder jwtDecoder(KeyMaterial keys, ApiTokens tokens, AuthProperties props, Clock clock) {
        NimbusJwtDecoder decoder = NimbusJwtDecoder.withSecretKey(
                        new SecretKeySpec(keys.jwtKey().bytes(), "HmacSHA256"))
                .macAlgorithm(MacAlgorithm.HS256)
                .build();
        OAuth2TokenValidator<Jwt> notRevoked = jwt -> {
            UUID jti;
            try {
                jti = UUID.fromString(jwt.getId());
            } catch (RuntimeException e) {
                return OAuth2TokenValidatorResult.failure(
                        new OAuth2Error("invalid_token", "token has no valid jti", null));
            }
            return tokens.isRevoked(jti)
                    ? OAuth2TokenValidatorResult.failure(new OAuth2Error("invalid_token", "token was revoked", null))
                    : OAuth2TokenValidatorResult.success();
        };
        JwtTimestampValidator unexpired = new JwtTimestampValidator(props.jwtClockSkew());
        unexpired.setClock(clock);
        decoder.setJwtValidator(new DelegatingOAuth2TokenValidator<>(
                unexpired, new JwtIssuerValidator(TokenMinter.ISSUER), notRevoked));
        return decoder;
    }
}
