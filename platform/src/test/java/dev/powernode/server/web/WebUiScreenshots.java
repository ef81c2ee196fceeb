package dev.powernode.server.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.powernode.common.token.Scope;
import dev.powernode.server.support.Api;
import dev.powernode.server.support.Chromium;
import dev.powernode.server.support.Fixtures;
import dev.powernode.server.support.IntegrationTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Screenshots of the main pages at desktop and phone width, for a look (not committed, not part of
 * the test run): README "Web UI" gives the command, -Dpowernode.screenshots=DIR says where.
 */
@IntegrationTest
@EnabledIfSystemProperty(named = "powernode.screenshots", matches = ".+")
class WebUiScreenshots {
    @LocalServerPort
    int port;

    @Autowired
    JdbcClient jdbc;

    @TempDir
    Path profile;

    @Test
    void mainPagesAtDesktopAndPhoneWidth() throws IOException {
        Fixtures fixtures = new Fixtures(jdbc);
        fixtures.reset();
        Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(3));
        UUID platform = fixtures.platform("edge");
        fixtures.publication(platform, "uefi_disk", "amd64", "purged", false, t0);
        UUID retired = fixtures.publication(platform, "uefi_disk", "amd64", "retired", false, t0.plusSeconds(3600));
        fixtures.publication(platform, "uefi_disk", "amd64", "failed", false, t0.plusSeconds(7200));
        fixtures.publication(platform, "uefi_disk", "amd64", "published", true, t0.plusSeconds(10800));
        fixtures.publication(platform, "qcow2", "amd64", "verifying", false, t0.plusSeconds(10900));
        fixtures.platform("lab");
        Path out = Path.of(System.getProperty("powernode.screenshots"));
        Files.createDirectories(out);
        List<Path> written = new ArrayList<>();
        for (var size : List.of(new int[] {1280, 900, 0}, new int[] {390, 844, 1})) {
            String width = size[2] == 0 ? "desktop" : "phone";
            WebDriver browser = Chromium.start(profile.resolve(width), size[0], size[1]);
            try {
                String base = "http://127.0.0.1:" + port;
                browser.get(base + "/ui/login");
                written.add(shot(browser, out, "login-" + width));
                browser.findElement(By.id("token")).sendKeys(Api.token(Scope.DISK_IMAGES_WRITE));
                browser.findElement(By.cssSelector("form button[type=submit]")).click();
                written.add(shot(browser, out, "platforms-" + width));
                browser.get(base + "/ui/platforms/edge");
                written.add(shot(browser, out, "platform-" + width));
                browser.get(base + "/ui/platforms/edge/publications/" + retired + "/make-current");
                written.add(shot(browser, out, "confirm-" + width));
                browser.get(base + "/ui/platforms/edge/retention");
                written.add(shot(browser, out, "retention-" + width));
                browser.get(base + "/ui/deliveries");
                written.add(shot(browser, out, "deliveries-" + width));
                browser.get(base + "/ui/ci");
                written.add(shot(browser, out, "ci-" + width));
                browser.get(base + "/ui/nodes");
                written.add(shot(browser, out, "nodes-" + width));
            } finally {
                browser.quit();
            }
        }
        written.forEach(p -> System.out.println("screenshot: " + p));
        assertThat(written).allSatisfy(p -> assertThat(Files.size(p)).isPositive());
    }

    private static Path shot(WebDriver browser, Path dir, String name) throws IOException {
        Path file = dir.resolve(name + ".png");
        Files.write(file, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        return file;
    }
}
