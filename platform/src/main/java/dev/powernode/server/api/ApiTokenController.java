package dev.powernode.server.api;

import dev.powernode.common.token.Durations;
import dev.powernode.common.token.Scope;
import dev.powernode.server.auth.ApiToken;
import dev.powernode.server.auth.ApiTokens;
import dev.powernode.server.auth.IssuedToken;
import dev.powernode.server.auth.Scopes;
import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ServiceProperties;
import dev.powernode.server.shared.Violations;
import dev.powernode.server.views.ListResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.core.Authentication;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * Operators mint, list and revoke API tokens (system:admin only); any operator gets a login link
 * for the web UI with their own subject and scopes.
 */
@RestController
class ApiTokenController {
    private final ApiTokens tokens;
    private final ServiceProperties service;
    private final Clock clock;

    ApiTokenController(ApiTokens tokens, ServiceProperties service, Clock clock) {
        this.tokens = tokens;
        this.service = service;
        this.clock = clock;
    }

    /**
     * The link carries its token in the fragment ({@code #token=}), which browsers never send: the
     * login page reads it, drops it from the address bar and posts it.
     */
    record LoginLink(String url, Instant expiresAt, Instant sessionUntil) {}

    /**
     * A one-time web UI login link for the caller (same subject and scopes): usable once, within 5
     * minutes; the session it opens lasts at most 8 hours and not past the caller's token.
     */
    @PostMapping("/api/v1/system/ui_login_links")
    ResponseEntity<LoginLink> loginLink(Authentication auth) {
        Set<Scope> scopes = Scopes.held(auth);
        Instant cap = clock.instant().plus(Duration.ofHours(8));
        Instant until = auth instanceof JwtAuthenticationToken jwt
                        && jwt.getToken().getExpiresAt() != null
                        && jwt.getToken().getExpiresAt().isBefore(cap)
                ? jwt.getToken().getExpiresAt()
                : cap;
        IssuedToken link = tokens.createLoginLink(auth.getName(), scopes, until, auth.getName());
        String base = service.publicUrl().toString().replaceAll("/+$", "");
        return ResponseEntity.status(HttpStatus.CREATED)
                .body(new LoginLink(
                        base + "/ui/login#token=" + link.token(), link.record().expiresAt(), until));
    }

    record CreateRequest(String subject, List<String> scopes, String ttl, String description) {}

    record TokenView(
            UUID id,
            String subject,
            List<String> scopes,
            String description,
            String createdBy,
            Instant createdAt,
            Instant expiresAt,
            Instant revokedAt) {
        static TokenView of(ApiToken t) {
            return new TokenView(
                    t.id(),
                    t.subject(),
                    t.scopes().stream().map(Scope::value).toList(),
                    t.description(),
                    t.createdBy(),
                    t.createdAt(),
                    t.expiresAt(),
                    t.revokedAt());
        }
    }

    record CreatedView(TokenView apiToken, String token) {}

    /** {@code ttl} like {@code 12h} or {@code 30d} (default 30d); the token is shown only in this response. */
    @PostMapping("/api/v1/system/api_tokens")
    ResponseEntity<CreatedView> create(@RequestBody CreateRequest body, Authentication auth) {
        Violations v = new Violations();
        Set<Scope> scopes = new LinkedHashSet<>();
        if (body.scopes() != null) {
            for (int i = 0; i < body.scopes().size(); i++) {
                String raw = body.scopes().get(i);
                int index = i;
                Scope.parse(raw)
                        .ifPresentOrElse(
                                scopes::add,
                                () -> v.add(
                                        "scopes[" + index + "]",
                                        "unknown scope '" + raw
                                                + "' (allowed: disk_images:read, disk_images:write, system:admin)"));
            }
        }
        Duration ttl = Duration.ofDays(30);
        if (body.ttl() != null) {
            try {
                ttl = Durations.parse(body.ttl());
            } catch (IllegalArgumentException e) {
                v.add("ttl", e.getMessage());
            }
        }
        v.throwIfAny();
        IssuedToken issued = tokens.create(body.subject(), scopes, ttl, body.description(), auth.getName());
        return ResponseEntity.status(HttpStatus.CREATED)
                .body(new CreatedView(TokenView.of(issued.record()), issued.token()));
    }

    @GetMapping("/api/v1/system/api_tokens")
    ListResponse<TokenView> list() {
        return ListResponse.of(tokens.list().stream().map(TokenView::of).toList());
    }

    @DeleteMapping("/api/v1/system/api_tokens/{id}")
    ResponseEntity<Void> revoke(@PathVariable String id) {
        UUID tokenId;
        try {
            tokenId = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw DomainException.notFound("api_token/not-found", "no API token '" + id + "'");
        }
        tokens.revoke(tokenId);
        return ResponseEntity.noContent().build();
    }
}
