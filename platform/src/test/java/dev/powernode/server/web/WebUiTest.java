package dev.powernode.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Chromium;
import dev.powernode.server.support.Cli;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.GiteaBackedTest;
import dev.powernode.server.support.IntegrationTest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The operator pages in a real browser: Debian's Chromium, headless, driven through Debian's
 * chromedriver (scripts/test.sh installs both).
 */
@IntegrationTest
class WebUiTest extends GiteaBackedTest {
    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    /** One browser for the class (starting Chromium costs seconds); each test starts logged out. */
    @TempDir
    static Path profile;

    static WebDriver browser;

    Fixtures fixtures;
    final Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(2));

    @BeforeAll
    static void start() {
        browser = Chromium.start(profile, 1280, 900);
    }

    @AfterAll
    static void quit() {
        if (browser != null) {
            browser.quit();
            browser = null;
        }
    }

    @BeforeEach
    void setUp() {
        fixtures = new Fixtures(jdbc);
        fixtures.reset();
        browser.get(url("/ui/login"));
        browser.manage().deleteAllCookies();
    }

    String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    void logIn(Scope scope) {
        browser.get(url("/ui"));
        assertThat(browser.getCurrentUrl()).as("no session: the login page").endsWith("/ui/login");
        browser.findElement(By.id("token")).sendKeys(Api.token(scope));
        navigate(browser.findElement(By.cssSelector("form button[type=submit]")));
        assertThat(browser.getCurrentUrl()).endsWith("/ui");
    }

    /**
     * Clicks what navigates and waits until the next page has replaced this one: click() may return
     * before a busy machine has committed the navigation, and the old page's elements would answer.
     */
    static void navigate(WebElement target) {
        WebElement page = browser.findElement(By.tagName("html"));
        target.click();
        // the old page's root is gone (chromedriver says so as stale, or as a node not in the document)
        new org.openqa.selenium.support.ui.WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> {
            try {
                page.getTagName();
                return false;
            } catch (org.openqa.selenium.WebDriverException gone) {
                return true;
            }
        });
    }

    WebElement row(UUID publication) {
        return browser.findElement(By.id("p-" + publication));
    }

    @Test
    void aLoggedInOperatorSeesThePublishedPlatformAndItsCurrentImage() {
        UUID platform = fixtures.platform("edge");
        UUID current = fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0);
        logIn(Scope.DISK_IMAGES_READ);

        WebElement card = browser.findElement(By.cssSelector("[data-platform=edge]"));
        assertThat(card.getText()).contains("Platform edge", "uefi_disk / amd64", "cdcdcdcdcdcd", "0123456");
        navigate(card.findElement(By.linkText("Platform edge")));
        assertThat(row(current).getAttribute("class")).contains("current");
        assertThat(row(current).findElement(By.cssSelector("time")).getAttribute("title"))
                .as("times in the viewer's zone, UTC on hover")
                .endsWith("Z (UTC)");
        assertThat(browser.findElement(By.cssSelector("header .who")).getText()).contains("read-only");
    }

    @Test
    void aBadTokenIsRefusedOnTheLoginPage() {
        browser.get(url("/ui/login"));
        browser.findElement(By.id("token")).sendKeys("not-a-token");
        navigate(browser.findElement(By.cssSelector("form button[type=submit]")));
        assertThat(browser.getCurrentUrl()).endsWith("/ui/login");
        assertThat(browser.findElement(By.cssSelector("[role=alert]")).getText())
                .startsWith("the token was refused");
    }

    @Test
    void rollingBackAsksForConfirmationThenMovesThePointer() {
        UUID platform = fixtures.platform("edge");
        UUID older = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0);
        UUID current = fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(600));
        logIn(Scope.DISK_IMAGES_WRITE);
        browser.get(url("/ui/platforms/edge"));

        assertThat(row(current).findElements(By.linkText("Make current…")))
                .as("the current one offers nothing")
                .isEmpty();
        navigate(row(older).findElement(By.linkText("Make current…")));
        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Roll back?");
        assertThat(jdbc.sql("select active from disk_image_publication where id = ?")
                        .param(current)
                        .query(Boolean.class)
                        .single())
                .as("nothing moved before the confirmation")
                .isTrue();
        navigate(browser.findElement(By.id("confirm")));

        assertThat(browser.findElement(By.cssSelector("[role=status]")).getText())
                .contains(older.toString());
        assertThat(row(older).getAttribute("class")).contains("current");
        assertThat(row(current).getAttribute("data-status")).isEqualTo("retired");
        assertThat(jdbc.sql("select actor from disk_image_pointer_change order by at desc, id desc limit 1")
                        .query(String.class)
                        .single())
                .isEqualTo("test-disk_images:write");
    }

    @Test
    void whatCannotBecomeCurrentHasItsButtonDisabledWithTheReason() {
        UUID platform = fixtures.platform("edge");
        UUID purged = fixtures.publication(platform, "uefi_disk", "amd64", "purged", false, t0);
        UUID failed = fixtures.publication(platform, "uefi_disk", "amd64", "failed", false, t0.plusSeconds(60));
        fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(120));
        logIn(Scope.DISK_IMAGES_WRITE);
        browser.get(url("/ui/platforms/edge"));

        WebElement button = row(purged).findElement(By.cssSelector(".actions button"));
        assertThat(button.isEnabled()).isFalse();
        assertThat(row(purged).findElement(By.cssSelector(".why")).getText())
                .isEqualTo("Cannot become current: its artifact was purged by retention");
        assertThat(row(failed).findElement(By.cssSelector(".why")).getText())
                .isEqualTo("Cannot become current: it failed verification: cosign: no signature");
        assertThat(row(purged).findElements(By.linkText("Make current…"))).isEmpty();
    }

    @Test
    void aReadOnlySessionSeesNoActionAndCannotReachOne() {
        UUID platform = fixtures.platform("edge");
        UUID older = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0);
        fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(600));
        logIn(Scope.DISK_IMAGES_READ);
        browser.get(url("/ui/platforms/edge"));

        assertThat(browser.findElements(By.cssSelector(".actions"))).isEmpty();
        assertThat(browser.findElements(By.tagName("button")))
                .extracting(WebElement::getText)
                .doesNotContain("Make current…");
        browser.get(url("/ui/platforms/edge/publications/" + older + "/make-current"));
        assertThat(browser.findElement(By.cssSelector("[role=alert]")).getText())
                .contains("scopes do not allow this");
    }

    @Test
    void aFormPostWithoutItsCsrfTokenIsRefusedAndLoggingOutEndsTheSession() throws Exception {
        UUID platform = fixtures.platform("edge");
        UUID older = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0);
        UUID current = fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(600));
        logIn(Scope.DISK_IMAGES_WRITE);
        Cookie session = browser.manage().getCookieNamed("pn_session");
        assertThat(session.isHttpOnly()).isTrue();
        assertThat(session.getSameSite()).isEqualTo("Strict");

        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> forged = http.send(
                HttpRequest.newBuilder(URI.create(url("/ui/platforms/edge/publications/" + older + "/make-current")))
                        .header("Cookie", "pn_session=" + session.getValue())
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(""))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(forged.statusCode())
                .as(forged.headers().map() + forged.body())
                .isEqualTo(403);
        assertThat(forged.body()).contains("CSRF token is missing or wrong");
        assertThat(jdbc.sql("select active from disk_image_publication where id = ?")
                        .param(current)
                        .query(Boolean.class)
                        .single())
                .isTrue();

        navigate(browser.findElement(By.cssSelector("header .who button")));
        assertThat(browser.getCurrentUrl()).endsWith("/ui/login");
        HttpResponse<String> afterLogout = http.send(
                HttpRequest.newBuilder(URI.create(url("/ui")))
                        .header("Cookie", "pn_session=" + session.getValue())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(afterLogout.statusCode()).as("the session token was revoked").isEqualTo(302);
        assertThat(afterLogout.headers().firstValue("Location"))
                .hasValueSatisfying(l -> assertThat(l).endsWith("/ui/login"));
        assertThat(jdbc.sql(
                                "select count(*) from api_token where description = 'web UI session' and revoked_at is not null")
                        .query(Long.class)
                        .single())
                .isEqualTo(1);
        assertThat(List.of(session.getPath())).containsExactly("/ui");
    }

    @Test
    void aVerifyingPublicationTurnsPublishedOnThePageWithoutAReload() {
        UUID platform = fixtures.platform("edge");
        UUID verifying = fixtures.publication(platform, "uefi_disk", "amd64", "verifying", false, t0);
        logIn(Scope.DISK_IMAGES_READ);
        browser.get(url("/ui/platforms/edge"));
        assertThat(row(verifying).findElement(By.cssSelector(".status")).getText())
                .isEqualTo("verifying");
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("window.stillTheSamePage = true;");

        jdbc.sql("""
                update disk_image_publication set status = 'published', active = true, published_at = now(),
                    verified_at = now(), sha256 = :sha where id = :id
                """).param("sha", "ef".repeat(32)).param("id", verifying).update();
        new org.openqa.selenium.support.ui.WebDriverWait(browser, Duration.ofSeconds(15))
                .until(d -> row(verifying).getAttribute("data-status").equals("published"));
        assertThat(row(verifying).findElement(By.cssSelector(".status")).getText())
                .isEqualTo("published");
        assertThat(row(verifying).findElement(By.cssSelector(".current-badge")).isDisplayed())
                .isTrue();
        assertThat(((org.openqa.selenium.JavascriptExecutor) browser).executeScript("return window.stillTheSamePage;"))
                .as("updated in place, not reloaded")
                .isEqualTo(true);
    }

    @Test
    void retentionShowsItsPlanFirstThenRunsAndTheCountCanBeChanged() {
        UUID platform = fixtures.platform("edge");
        UUID oldest = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0);
        fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(600));
        logIn(Scope.DISK_IMAGES_WRITE);
        browser.get(url("/ui/platforms/edge"));
        WebElement count = browser.findElement(By.id("count"));
        count.clear();
        count.sendKeys("1");
        navigate(browser.findElement(By.cssSelector("section.retention button")));
        assertThat(browser.findElement(By.cssSelector("section.retention strong"))
                        .getText())
                .isEqualTo("1");

        navigate(browser.findElement(By.linkText("See what a run would purge…")));
        WebElement planned = browser.findElement(By.cssSelector("[data-publication='" + oldest + "']"));
        assertThat(planned.getAttribute("data-action")).isEqualTo("purge");
        assertThat(jdbc.sql("select status from disk_image_publication where id = ?")
                        .param(oldest)
                        .query(String.class)
                        .single())
                .as("the plan changes nothing")
                .isEqualTo("retired");
        navigate(browser.findElement(By.id("run-retention")));
        assertThat(browser.findElement(By.cssSelector("[role=status]")).getText())
                .contains("Retention ran: 1 purged");
        assertThat(jdbc.sql("select status from disk_image_publication where id = ?")
                        .param(oldest)
                        .query(String.class)
                        .single())
                .isEqualTo("purged");
    }

    @Test
    void theDeliveriesPageShowsWebhooksTheirCallsAndWorkers() {
        Api admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        String webhook = admin.post("/api/v1/system/disk_image_webhooks", "{\"label\": \"amd64-builder\"}")
                .json()
                .get("webhook_id")
                .asString();
        admin.post("/api/v1/workers", "{\"label\": \"runner-1\"}");
        Api.Response refused = admin.anonymous().post("/api/v1/system/webhooks/disk_image/built/" + webhook, "{}");
        assertThat(refused.status()).isEqualTo(401);
        logIn(Scope.DISK_IMAGES_READ);
        navigate(browser.findElement(By.linkText("Webhooks & workers")));
        String page = browser.findElement(By.tagName("main")).getText();
        assertThat(page)
                .contains("amd64-builder", "/api/v1/system/webhooks/disk_image/built/" + webhook, "runner-1", "401");
        assertThat(page).doesNotContain("webhook_secret");
    }

    @Test
    void aLoginLinkFromTheCliLogsInOnceAndLeavesNoTokenInTheAddressBar() {
        fixtures.platform("edge");
        Cli.Run made = Cli.api(port, Scope.DISK_IMAGES_READ, "ui", "login", "--json");
        assertThat(made.exit()).as(made.err()).isZero();
        tools.jackson.databind.JsonNode link =
                tools.jackson.databind.json.JsonMapper.builder().build().readTree(made.out());
        String url = link.get("url").asString();
        assertThat(url).contains("/ui/login#token=");
        assertThat(Duration.between(
                        Instant.now(), Instant.parse(link.get("expires_at").asString())))
                .isLessThanOrEqualTo(Duration.ofMinutes(5));
        // the link names the configured public URL: here, the test server
        String local = url("/ui/login") + url.substring(url.indexOf('#'));

        browser.get("about:blank"); // from the login page itself, only the fragment would change: no load
        browser.get(local);
        new org.openqa.selenium.support.ui.WebDriverWait(browser, Duration.ofSeconds(10))
                .until(d -> d.getCurrentUrl().endsWith("/ui"));
        assertThat(browser.findElement(By.cssSelector("[data-platform=edge]")).isDisplayed())
                .isTrue();
        assertThat(browser.findElement(By.cssSelector("header .who")).getText()).contains("read-only");

        browser.manage().deleteAllCookies();
        browser.get("about:blank");
        browser.get(local);
        new org.openqa.selenium.support.ui.WebDriverWait(browser, Duration.ofSeconds(10))
                .until(d -> !d.findElements(By.cssSelector("[role=alert]")).isEmpty());
        assertThat(browser.findElement(By.cssSelector("[role=alert]")).getText())
                .as("a link works once")
                .contains("the token was refused");
        assertThat(browser.getCurrentUrl()).doesNotContain("token=");
    }

    @Test
    void theCiPageShowsABuildRepositorysRunsAndAJobsLogTail() {
        Api admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        jdbc.sql("truncate ci_bootstrap").update();
        Api.Response boot = admin.post("/api/v1/system/ci/bootstrap", """
                {"owner": "ops", "repo": "disk-images", "label": "ui-builder"}
                """);
        assertThat(boot.status()).as(boot.body()).isIn(200, 201);
        long runId = admin.post("/api/v1/system/gitea/repos/ops/disk-images/workflow_dispatches", """
                        {"workflow_file": "build-disk-image.yaml", "ref": "main"}
                        """)
                .json()
                .get("run_id")
                .asLong();
        long job = gitea().jobIds(runId).get(0);
        gitea().log(job, "building\npushed sha256:abc\nsigned\n");
        logIn(Scope.DISK_IMAGES_READ);
        navigate(browser.findElement(By.linkText("CI runs")));
        WebElement repo = browser.findElement(By.cssSelector("[data-repository='ops/disk-images']"));
        navigate(repo.findElement(By.cssSelector("a[href$='/runs/" + runId + "']")));
        WebElement jobSection = browser.findElement(By.cssSelector("[data-job='" + job + "']"));
        assertThat(jobSection.findElement(By.cssSelector("pre.log")).getText())
                .isEqualTo("building\npushed sha256:abc\nsigned");
        assertThat(jobSection.getText()).contains("the last 3 of 3 lines");
    }

    @Test
    void theNodesPageShowsEnrolledNodesAndTheEventsTheirOutbox() {
        fixtures.platform("edge");
        Api admin = new Api(port, Api.token(Scope.SYSTEM_ADMIN));
        Api.Response enrolled = admin.post(
                "/api/v1/system/nodes",
                "{\"platform\": \"edge\", \"name\": \"rack1-node7\", \"artifact_family\": \"uefi_disk\", \"arch\": \"amd64\"}");
        assertThat(enrolled.status()).as(enrolled.body()).isEqualTo(201);
        logIn(Scope.DISK_IMAGES_READ);
        navigate(browser.findElement(By.linkText("Nodes")));
        WebElement node = browser.findElement(By.cssSelector("[data-node='rack1-node7']"));
        assertThat(node.getText()).contains("edge", "uefi_disk / amd64", "never reported");
        assertThat(enrolled.body()).contains("\"token\"");
        assertThat(browser.findElement(By.tagName("main")).getText())
                .doesNotContain(enrolled.json().get("token").asString());
        navigate(browser.findElement(By.linkText("Webhooks & workers")));
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("Outbound events");
    }
}
