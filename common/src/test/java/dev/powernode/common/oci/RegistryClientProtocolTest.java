package dev.powernode.common.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Protocol paths the Debian registry used by the testkit integration tests cannot show (it has no
 * pagination, Bearer auth or referrers API), against a fake registry on a loopback port. The
 * integration tests of everything else live in the testkit module.
 */
class RegistryClientProtocolTest {
    HttpServer server;
    String host;
    MutableClock clock = new MutableClock();
    List<String> tokenRequests = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startFakeRegistry() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        host = "127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stopFakeRegistry() {
        server.stop(0);
    }

    RegistryClient.Builder clientBuilder() {
        return RegistryClient.builder()
                .allowRegistries(Set.of(host))
                .plainHttp(Set.of(host))
                .readTimeout(Duration.ofSeconds(5))
                .clock(clock);
    }

    @Test
    void followsLinkPaginationAcrossTagPages() {
        server.createContext("/v2/app/tags/list", exchange -> {
            String query = exchange.getRequestURI().getQuery();
            if (query == null) {
                exchange.getResponseHeaders().add("Link", "</v2/app/tags/list?n=2&last=b>; rel=\"next\"");
                respond(exchange, 200, "{\"name\":\"app\",\"tags\":[\"a\",\"b\"]}");
            } else {
                assertThat(query).isEqualTo("n=2&last=b");
                respond(exchange, 200, "{\"name\":\"app\",\"tags\":[\"c\"]}");
            }
        });

        assertThat(clientBuilder().build().listTags(host, "app")).containsExactly("a", "b", "c");
    }

    @Test
    void fetchesABearerTokenForTheChallengedScopeAndReusesItUntilItExpires() {
        AtomicInteger issued = new AtomicInteger();
        server.createContext("/token", exchange -> {
            tokenRequests.add(exchange.getRequestURI().getRawQuery() + " auth="
                    + exchange.getRequestHeaders().getFirst("Authorization"));
            respond(exchange, 200, "{\"token\":\"tok-" + issued.incrementAndGet() + "\",\"expires_in\":300}");
        });
        server.createContext("/v2/app/tags/list", exchange -> {
            if (!("Bearer tok-" + issued.get())
                    .equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders()
                        .add(
                                "WWW-Authenticate",
                                "Bearer realm=\"http://" + host + "/token\",service=\"fake\","
                                        + "scope=\"repository:app:pull\"");
                respond(exchange, 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\"}]}");
                return;
            }
            respond(exchange, 200, "{\"tags\":[\"v1\"]}");
        });
        RegistryClient client =
                clientBuilder().credentials(host, "ci", "s3cret").build();

        client.listTags(host, "app");
        client.listTags(host, "app");
        clock.advance(Duration.ofSeconds(301));
        List<String> afterExpiry = client.listTags(host, "app");

        assertThat(afterExpiry).containsExactly("v1");
        assertThat(issued).hasValue(2);
        String basic = "Basic " + java.util.Base64.getEncoder().encodeToString("ci:s3cret".getBytes());
        assertThat(tokenRequests.get(0)).isEqualTo("service=fake&scope=repository%3Aapp%3Apull auth=" + basic);
    }

    @Test
    void acceptsAnAccessTokenFieldAndAnonymousTokens() {
        server.createContext("/token", exchange -> {
            tokenRequests.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            respond(exchange, 200, "{\"access_token\":\"anon\"}");
        });
        server.createContext("/v2/", exchange -> {
            if (!"Bearer anon".equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                exchange.getResponseHeaders()
                        .add("WWW-Authenticate", "Bearer realm=\"http://" + host + "/token\",service=\"fake\"");
                respond(exchange, 401, "");
                return;
            }
            respond(exchange, 200, "{}");
        });

        clientBuilder().build().ping(host);

        assertThat(tokenRequests).containsExactly("null");
    }

    @Test
    void aTokenServiceRefusingTheCredentialsIsUnauthorizedWithoutEchoingThem() {
        server.createContext("/token", exchange -> respond(exchange, 401, "{\"details\":\"bad login\"}"));
        server.createContext("/v2/", exchange -> {
            exchange.getResponseHeaders()
                    .add("WWW-Authenticate", "Bearer realm=\"http://" + host + "/token\",service=\"fake\"");
            respond(exchange, 401, "");
        });
        RegistryClient client =
                clientBuilder().credentials(host, "ci", "wrong-password").build();

        assertThatThrownBy(() -> client.ping(host))
                .isInstanceOfSatisfying(
                        RegistryException.class,
                        e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.UNAUTHORIZED))
                .hasMessageContaining("token service http://" + host + "/token answered HTTP 401")
                .hasMessageNotContaining("wrong-password");
    }

    @Test
    void refusesToSendCredentialsToAPlainHttpRealmOnAnotherHost() {
        server.createContext("/v2/", exchange -> {
            exchange.getResponseHeaders()
                    .add("WWW-Authenticate", "Bearer realm=\"http://auth.example.org/token\",service=\"fake\"");
            respond(exchange, 401, "");
        });
        RegistryClient client = clientBuilder().credentials(host, "ci", "pw").build();

        assertThatThrownBy(() -> client.ping(host))
                .isInstanceOfSatisfying(
                        RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.INVALID))
                .hasMessageContaining("refusing it");
    }

    @Test
    void usesTheReferrersApiWhenTheRegistryHasItAndFiltersByArtifactType() {
        Digest subject = digest("subject".getBytes());
        Digest sig = digest("sig".getBytes());
        Digest sbom = digest("sbom".getBytes());
        server.createContext("/v2/app/referrers/" + subject, exchange -> {
            exchange.getResponseHeaders().add("Content-Type", MediaTypes.OCI_INDEX);
            // a registry may ignore the artifactType filter; the client filters again
            respond(
                    exchange,
                    200,
                    "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                            + "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + sig
                            + "\",\"size\":10,\"artifactType\":\"" + MediaTypes.SIGSTORE_BUNDLE_V03 + "\"},"
                            + "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + sbom
                            + "\",\"size\":11,\"artifactType\":\"application/spdx+json\"}]}");
        });

        List<Descriptor> found =
                clientBuilder().build().referrers(host, "app", subject, MediaTypes.SIGSTORE_BUNDLE_V03);

        assertThat(found)
                .containsExactly(
                        new Descriptor(MediaTypes.OCI_MANIFEST, sig, 10, Map.of(), MediaTypes.SIGSTORE_BUNDLE_V03));
    }

    @Test
    void restartsADownloadWhenTheRegistryIgnoresRangeAndNothingWasWrittenYet() {
        // at most one buffer: hashed on the reader's thread
        restartsWhenTheRegistryIgnoresRange(300_000);
    }

    @Test
    void restartsALargeDownloadWhenTheRegistryIgnoresRangeAndNothingWasWrittenYet() {
        // several buffers: hashed on the second thread
        restartsWhenTheRegistryIgnoresRange(3_000_000);
    }

    private void restartsWhenTheRegistryIgnoresRange(int size) {
        byte[] content = new byte[size];
        new Random(1).nextBytes(content);
        Digest digest = digest(content);
        AtomicInteger gets = new AtomicInteger();
        server.createContext("/v2/app/blobs/" + digest, exchange -> {
            // always the whole blob, Range or not; the first answer of each download breaks off
            exchange.sendResponseHeaders(200, content.length);
            OutputStream out = exchange.getResponseBody();
            if (gets.incrementAndGet() == 1) {
                out.write(content, 0, size / 3);
                out.flush();
                exchange.close(); // short of Content-Length: the server drops the connection
                return;
            }
            out.write(content);
            out.close();
        });
        Descriptor blob = Descriptor.of(MediaTypes.OCTET_STREAM, digest, content.length);
        RegistryClient client = clientBuilder().build();

        RegistryClient.BlobResult verified = client.fetchBlob(host, "app", blob, null, null);

        assertThat(verified.resumes()).isEqualTo(1);
        gets.set(0);
        assertThatThrownBy(() -> client.fetchBlob(host, "app", blob, new ByteArrayOutputStream(), null))
                .isInstanceOfSatisfying(
                        RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.TRANSIENT))
                .hasMessageContaining("ignored the Range request");
    }

    @Test
    void tooManyRequestsIsTransient() {
        server.createContext(
                "/v2/", exchange -> respond(exchange, 429, "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\"}]}"));

        assertThatThrownBy(() -> clientBuilder().build().ping(host))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.kind()).isEqualTo(RegistryException.Kind.TRANSIENT);
                    assertThat(e.httpStatus()).isEqualTo(429);
                })
                .hasMessageContaining("TOOMANYREQUESTS");
    }

    @Test
    void refusesAManifestOverFourMebibytes() {
        server.createContext("/v2/app/manifests/big", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", MediaTypes.OCI_MANIFEST);
            exchange.sendResponseHeaders(200, 0); // chunked: the size is only known by reading
            try (OutputStream out = exchange.getResponseBody()) {
                byte[] block = new byte[1024 * 1024];
                for (int i = 0; i < 5; i++) {
                    out.write(block);
                }
            } catch (IOException clientHungUp) {
                // expected once the client has seen enough
            }
        });

        assertThatThrownBy(() -> clientBuilder().build().getManifest(OciRef.parse(host + "/app:big")))
                .isInstanceOfSatisfying(
                        RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.INVALID))
                .hasMessageContaining("over the 4194304 byte limit");
    }

    @Test
    void refusesARedirectThatLeavesTheRegistryOverPlainHttp() {
        Digest digest = digest("x".getBytes());
        server.createContext("/v2/app/blobs/" + digest, exchange -> {
            exchange.getResponseHeaders().add("Location", "http://storage.example.org/blob");
            respond(exchange, 307, "");
        });
        Descriptor blob = Descriptor.of(MediaTypes.OCTET_STREAM, digest, 1);

        assertThatThrownBy(() -> clientBuilder().build().fetchBlob(host, "app", blob, null, null))
                .isInstanceOfSatisfying(
                        RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.INVALID))
                .hasMessageContaining("refusing a redirect to http://storage.example.org");
    }

    @Test
    void readsTheNextLinkAmongSeveral() {
        URI base = URI.create("https://r.example.org/v2/app/tags/list");

        assertThat(RegistryTransport.nextLink(
                        List.of("<https://r.example.org/prev>; rel=\"prev\", </v2/app/tags/list?last=x>; rel=next"),
                        base))
                .isEqualTo(URI.create("https://r.example.org/v2/app/tags/list?last=x"));
        assertThat(RegistryTransport.nextLink(List.of("<https://r.example.org/prev>; rel=\"prev\""), base))
                .isNull();
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        exchange.getRequestBody().readAllBytes();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (exchange.getResponseHeaders().getFirst("Content-Type") == null) {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
        }
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Test
    void asksARegistryWithoutTheReferrersApiByTagOnlyForTenMinutes() {
        Digest subject = digest("subject".getBytes());
        AtomicInteger apiCalls = new AtomicInteger();
        AtomicInteger tagCalls = new AtomicInteger();
        boolean[] upgraded = {false};
        server.createContext("/v2/app/referrers/" + subject, exchange -> {
            apiCalls.incrementAndGet();
            if (upgraded[0]) {
                exchange.getResponseHeaders().add("Content-Type", MediaTypes.OCI_INDEX);
                respond(
                        exchange,
                        200,
                        "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}");
            } else {
                // docker-registry's answer for a route it does not have
                exchange.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
                respond(exchange, 404, "404 page not found\n");
            }
        });
        server.createContext("/v2/app/manifests/" + subject.tagPrefix(), exchange -> {
            tagCalls.incrementAndGet();
            respond(exchange, 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}");
        });
        RegistryClient client = clientBuilder().build();

        for (int i = 0; i < 3; i++) {
            assertThat(client.referrers(host, "app", subject, null)).isEmpty();
        }
        assertThat(apiCalls).hasValue(1);
        assertThat(tagCalls).hasValue(3);

        // the registry is upgraded; after ten minutes the client asks its referrers API again
        upgraded[0] = true;
        clock.advance(Listings.NO_REFERRERS_API_FOR.minusSeconds(1));
        client.referrers(host, "app", subject, null);
        assertThat(apiCalls).hasValue(1);
        clock.advance(Duration.ofSeconds(1));
        client.referrers(host, "app", subject, null);
        client.referrers(host, "app", subject, null);
        assertThat(apiCalls).hasValue(3);
        assertThat(tagCalls).hasValue(4);
    }

    @Test
    void aRegistrysJsonNotFoundFromTheReferrersApiIsNotRemembered() {
        // a registry with the API may answer an unknown repository with its JSON error; the next
        // call asks the API again rather than hiding its referrers for ten minutes
        Digest subject = digest("subject".getBytes());
        AtomicInteger apiCalls = new AtomicInteger();
        server.createContext("/v2/app/referrers/" + subject, exchange -> {
            apiCalls.incrementAndGet();
            respond(exchange, 404, "{\"errors\":[{\"code\":\"NAME_UNKNOWN\"}]}");
        });
        server.createContext(
                "/v2/app/manifests/" + subject.tagPrefix(),
                exchange -> respond(exchange, 404, "{\"errors\":[{\"code\":\"NAME_UNKNOWN\"}]}"));
        RegistryClient client = clientBuilder().build();

        assertThat(client.referrers(host, "app", subject, null)).isEmpty();
        assertThat(client.referrers(host, "app", subject, null)).isEmpty();

        assertThat(apiCalls).hasValue(2);
    }

    @Test
    void refusesReferrerPagesThatLinkBackToAPageAlreadyRead() {
        Digest subject = digest("subject".getBytes());
        server.createContext("/v2/app/referrers/" + subject, exchange -> {
            exchange.getResponseHeaders().add("Content-Type", MediaTypes.OCI_INDEX);
            exchange.getResponseHeaders().add("Link", "</v2/app/referrers/" + subject + ">; rel=\"next\"");
            respond(exchange, 200, "{\"schemaVersion\":2,\"manifests\":[]}");
        });

        assertThatThrownBy(() -> clientBuilder().build().referrers(host, "app", subject, null))
                .isInstanceOfSatisfying(
                        RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.INVALID))
                .hasMessageContaining("pagination does not end");
    }

    @Test
    void listsNoTagsOfARepositoryTheRegistryDoesNotKnow() {
        server.createContext("/v2/app/tags/list", exchange -> respond(exchange, 404, "{\"errors\":[]}"));

        assertThat(clientBuilder().build().listTags(host, "app")).isEmpty();
    }

    @Test
    void refusesAnUnusableSettingWhereItIsGivenNamingIt() {
        assertThatThrownBy(() -> RegistryClient.builder().chunkSize(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("chunkSize");
        assertThatThrownBy(() -> RegistryClient.builder().maxResumes(-1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxResumes");
        assertThatThrownBy(() -> RegistryClient.builder().readTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("readTimeout");
        assertThatThrownBy(() -> RegistryClient.builder().connectTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("connectTimeout");
    }

    private static Digest digest(byte[] bytes) {
        return Digest.of(bytes);
    }

    /** A clock tests move forward by hand: token expiry without sleeping. */
    static final class MutableClock extends Clock {
        private Instant now = Instant.parse("2026-01-01T00:00:00Z");

        void advance(Duration d) {
            now = now.plus(d);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
