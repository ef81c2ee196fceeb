package dev.powernode.server.gitea;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.powernode.server.shared.DomainException;
import dev.powernode.server.shared.ErrorKind;
import dev.powernode.testkit.GiteaMock;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Gitea client against Gitea's API as its own description gives it (Prism validating every
 * request in front of the test kit's stateful stub): what it sends is what Gitea 1.26.3 accepts,
 * and what Gitea answers, errors included, becomes a typed error naming the endpoint.
 */
class GiteaActionsTest {
    static final String TOKEN = "gitea-token-0123456789";
    static GiteaMock gitea;
    static GiteaActions client;

    @BeforeAll
    static void start() {
        gitea = GiteaMock.start(TOKEN).repository("ops", "disk-images");
        client = client(gitea.url(), TOKEN, Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() {
        if (gitea != null) {
            gitea.close();
        }
    }

    @AfterEach
    void noRequestBrokeGiteasDescription() {
        gitea.clearFaults().returnsRunDetails(true);
        assertThat(gitea.requestViolations())
                .as("requests Gitea's API description does not allow")
                .isEmpty();
    }

    static GiteaActions client(URI url, String token, Duration timeout) {
        return new GiteaActions(
                new GiteaProperties(url, token, timeout), JsonMapper.builder().build(), Clock.systemUTC());
    }

    @Test
    void prismCatchesARequestGiteasDescriptionDoesNotAllow() throws Exception {
        // the check every test ends with can fail: a secret without its required "data"
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(
                                        gitea.url().resolve("/api/v1/repos/ops/disk-images/actions/secrets/BAD"))
                                .header("Authorization", "token " + TOKEN)
                                .header("Content-Type", "application/json")
                                .PUT(java.net.http.HttpRequest.BodyPublishers.ofString("{\"value\":\"x\"}"))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("sl-violations")).isPresent();
        java.time.Instant until = java.time.Instant.now().plusSeconds(5);
        while (gitea.requestViolations().isEmpty() && java.time.Instant.now().isBefore(until)) {
            Thread.sleep(50);
        }
        assertThat(gitea.requestViolations()).anyMatch(v -> v.contains("request.body"));
        gitea.forgetLog();
    }

    @Test
    void secretsAreWrittenReplacedListedAndDeleted() {
        assertThat(client.putSecret("ops", "disk-images", "OCI_REGISTRY_TOKEN", "first"))
                .isTrue();
        assertThat(client.putSecret("ops", "disk-images", "OCI_REGISTRY_TOKEN", "second\nline"))
                .as("replaced, not created")
                .isFalse();
        assertThat(gitea.secrets("ops", "disk-images").get("OCI_REGISTRY_TOKEN").data())
                .isEqualTo("second\nline");
        assertThat(client.listSecrets("ops", "disk-images"))
                .extracting(ActionSecret::name)
                .contains("OCI_REGISTRY_TOKEN");
        assertThat(client.deleteSecret("ops", "disk-images", "OCI_REGISTRY_TOKEN"))
                .isTrue();
        assertThat(client.deleteSecret("ops", "disk-images", "OCI_REGISTRY_TOKEN"))
                .as("a missing secret in an existing repository")
                .isFalse();
        assertThat(gitea.secrets("ops", "disk-images")).doesNotContainKey("OCI_REGISTRY_TOKEN");
    }

    @Test
    void secretNamesFollowGiteasRulesBeforeAnyCall() {
        int before = gitea.requests().size();
        for (String bad : List.of("lower", "1ST", "GITEA_TOKEN", "GITHUB_TOKEN", "CI", "A-B", "")) {
            assertThatThrownBy(() -> client.putSecret("ops", "disk-images", bad, "v"))
                    .as(bad)
                    .isInstanceOfSatisfying(DomainException.class, e -> {
                        assertThat(e.kind()).isEqualTo(ErrorKind.INVALID);
                        assertThat(e.fieldErrors()).extracting(f -> f.field()).contains("name");
                    });
        }
        assertThatThrownBy(() -> client.putSecret("ops/../x", "disk-images", "OK", "v"))
                .isInstanceOfSatisfying(
                        DomainException.class,
                        e -> assertThat(e.fieldErrors())
                                .extracting(f -> f.field())
                                .containsExactly("owner"));
        assertThat(gitea.requests()).as("nothing was sent").hasSize(before);
        assertThat(GiteaActions.secretNameProblem("_OK_2")).isNull();
    }

    @Test
    void runnerRegistrationTokensForARepositoryOrAnOrganisation() {
        String repo = client.runnerRegistrationToken("ops", "disk-images");
        String org = client.runnerRegistrationToken("ops", null);
        assertThat(repo).isNotBlank().isNotEqualTo(org);
        assertThat(gitea.registrationTokens()).endsWith(repo, org);
        assertThat(gitea.requests().get(gitea.requests().size() - 1).path())
                .isEqualTo("/api/v1/orgs/ops/actions/runners/registration-token");
    }

    @Test
    void dispatchAnswersTheRunAndFindsItOnAnOlderGitea() {
        DispatchedRun told =
                client.dispatch("ops", "disk-images", "build-disk-image.yaml", "main", Map.of("platform_slug", "edge"));
        assertThat(told.runId()).isNotNull();
        assertThat(told.foundByListing()).isFalse();
        GiteaMock.Request sent = gitea.requests().stream()
                .filter(r -> r.path().contains("/dispatches"))
                .reduce((a, b) -> b)
                .orElseThrow();
        assertThat(sent.path())
                .isEqualTo("/api/v1/repos/ops/disk-images/actions/workflows/build-disk-image.yaml/dispatches"
                        + "?return_run_details=true");
        assertThat(sent.body()).contains("\"ref\":\"main\"").contains("\"platform_slug\":\"edge\"");

        gitea.returnsRunDetails(false);
        DispatchedRun found = client.dispatch("ops", "disk-images", "build-disk-image.yaml", "main", null);
        assertThat(found.runId()).isNotNull().isGreaterThan(told.runId());
        assertThat(found.foundByListing()).isTrue();

        assertThatThrownBy(() -> client.dispatch("ops", "disk-images", ".gitea/workflows/x.yaml", " ", null))
                .isInstanceOfSatisfying(
                        DomainException.class,
                        e -> assertThat(e.fieldErrors())
                                .extracting(f -> f.field())
                                .containsExactlyInAnyOrder("workflow_file", "ref"));
    }

    @Test
    void runsAreFilteredByWorkflowFileAndStatusAndCarryTheirJobsAndLogs() {
        long a = client.dispatch("ops", "disk-images", "build-disk-image.yaml", "main", null)
                .runId();
        long other =
                client.dispatch("ops", "disk-images", "lint.yaml", "main", null).runId();
        gitea.complete(a, "success");

        List<WorkflowRun> builds = client.listRuns("ops", "disk-images", "build-disk-image.yaml", null, 100);
        assertThat(builds).extracting(WorkflowRun::id).contains(a).doesNotContain(other);
        assertThat(builds).extracting(WorkflowRun::workflowFile).containsOnly("build-disk-image.yaml");
        assertThat(client.listRuns("ops", "disk-images", null, "success", 100))
                .extracting(WorkflowRun::id)
                .contains(a)
                .doesNotContain(other);
        assertThat(client.listRuns("ops", "disk-images", null, null, 1)).hasSize(1);

        RunWithJobs run = client.run("ops", "disk-images", a);
        assertThat(run.run().conclusion()).isEqualTo("success");
        assertThat(run.run().completedAt()).isNotNull();
        assertThat(run.jobs()).extracting(WorkflowJob::name).containsExactly("build-amd64-uefi", "build-arm64-uefi");
        assertThat(run.jobs().get(0).steps()).isNotEmpty();

        long job = run.jobs().get(0).id();
        gitea.log(job, IntStream.rangeClosed(1, 5000).mapToObj(i -> "line " + i).collect(Collectors.joining("\n")));
        JobLog tail = client.jobLogs("ops", "disk-images", job, 3);
        assertThat(tail.totalLines()).isEqualTo(5000);
        assertThat(tail.lines()).containsExactly("line 4998", "line 4999", "line 5000");
        // a line with no end in sight is kept cut, not whole; CRLF ends a line like LF
        gitea.log(job, "first\r\n" + "x".repeat(1_000_000) + "\r\nlast\r\n");
        JobLog cut = client.jobLogs("ops", "disk-images", job, 3);
        assertThat(cut.totalLines()).isEqualTo(3);
        assertThat(cut.lines().get(0)).isEqualTo("first");
        assertThat(cut.lines().get(1))
                .hasSize(GiteaActions.MAX_LINE + " [cut]".length())
                .endsWith(" [cut]");
        assertThat(cut.lines().get(2)).isEqualTo("last");

        assertThatThrownBy(() -> client.listRuns("ops", "disk-images", null, "done", 0))
                .isInstanceOfSatisfying(
                        DomainException.class,
                        e -> assertThat(e.fieldErrors())
                                .extracting(f -> f.field())
                                .containsExactlyInAnyOrder("status", "limit"));
    }

    @Test
    void giteasRefusalsBecomeTypedErrorsNamingTheEndpoint() {
        assertRefused(
                () -> client.runnerRegistrationToken("ops", "missing"),
                ErrorKind.NOT_FOUND,
                "gitea/not-found",
                "Gitea POST /repos/ops/missing/actions/runners/registration-token answered 404");
        assertRefused(
                () -> client(gitea.url(), "wrong-token", Duration.ofSeconds(10)).listSecrets("ops", "disk-images"),
                ErrorKind.BAD_GATEWAY,
                "gitea/unauthorized",
                "Gitea GET /repos/ops/disk-images/actions/secrets answered 401");
        gitea.fail("PUT .*/actions/secrets/.*", 403);
        assertRefused(
                () -> client.putSecret("ops", "disk-images", "X", "v"),
                ErrorKind.BAD_GATEWAY,
                "gitea/forbidden",
                "Gitea PUT /repos/ops/disk-images/actions/secrets/X answered 403: injected 403");
        gitea.clearFaults().fail("POST .*/dispatches", 422);
        assertRefused(
                () -> client.dispatch("ops", "disk-images", "build-disk-image.yaml", "nope", null),
                ErrorKind.INVALID,
                "gitea/rejected",
                "answered 422");
        gitea.clearFaults().fail("GET .*/actions/runs", 500);
        assertRefused(
                () -> client.listRuns("ops", "disk-images", null, null, 10),
                ErrorKind.UNAVAILABLE,
                "gitea/unavailable",
                "answered 500");
    }

    @Test
    void anUnreachableOrUnconfiguredGiteaIsUnavailable() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        assertRefused(
                () -> client(URI.create("http://127.0.0.1:" + closed), TOKEN, Duration.ofSeconds(2))
                        .listSecrets("ops", "disk-images"),
                ErrorKind.UNAVAILABLE,
                "gitea/unavailable",
                "could not be reached for GET /repos/ops/disk-images/actions/secrets");
        // a server that accepts and never answers: the call's timeout ends it
        try (ServerSocket silent = new ServerSocket(0)) {
            assertRefused(
                    () -> client(URI.create("http://127.0.0.1:" + silent.getLocalPort()), TOKEN, Duration.ofSeconds(1))
                            .listSecrets("ops", "disk-images"),
                    ErrorKind.UNAVAILABLE,
                    "gitea/unavailable",
                    "timed out");
        }
        // an answer whose body stops coming: the call's deadline ends the read too, not only the wait
        // for the headers
        try (ServerSocket stalling = new ServerSocket(0)) {
            Thread server = new Thread(() -> {
                try (java.net.Socket c = stalling.accept()) {
                    c.getInputStream().read(new byte[4096]);
                    c.getOutputStream()
                            .write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[")
                                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    c.getOutputStream().flush();
                    Thread.sleep(20_000);
                } catch (Exception e) {
                    // the test ended
                }
            });
            server.setDaemon(true);
            server.start();
            java.time.Instant start = java.time.Instant.now();
            assertRefused(
                    () -> client(
                                    URI.create("http://127.0.0.1:" + stalling.getLocalPort()),
                                    TOKEN,
                                    Duration.ofSeconds(1))
                            .listSecrets("ops", "disk-images"),
                    ErrorKind.UNAVAILABLE,
                    "gitea/unavailable",
                    "GET /repos/ops/disk-images/actions/secrets");
            assertThat(Duration.between(start, java.time.Instant.now())).isLessThan(Duration.ofSeconds(10));
            server.interrupt();
        }
        // user information in the configured URL is never shown
        assertThatThrownBy(() -> client(
                                URI.create("http://admin:hunter2@127.0.0.1:" + closed), TOKEN, Duration.ofSeconds(2))
                        .listSecrets("ops", "disk-images"))
                .isInstanceOfSatisfying(
                        DomainException.class,
                        e -> assertThat(e.getMessage())
                                .doesNotContain("hunter2")
                                .contains("http://127.0.0.1:" + closed));
        GiteaActions none = new GiteaActions(
                new GiteaProperties(null, null, null), JsonMapper.builder().build(), Clock.systemUTC());
        assertThat(none.configured()).isFalse();
        assertRefused(
                () -> none.listSecrets("ops", "disk-images"),
                ErrorKind.UNAVAILABLE,
                "gitea/not-configured",
                "POWERNODE_GITEA_URL");
    }

    static void assertRefused(Runnable call, ErrorKind kind, String code, String detail) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(DomainException.class, e -> {
            assertThat(e.kind()).as(e.getMessage()).isEqualTo(kind);
            assertThat(e.code()).isEqualTo(code);
            assertThat(e.getMessage()).contains(detail);
        });
    }
}
