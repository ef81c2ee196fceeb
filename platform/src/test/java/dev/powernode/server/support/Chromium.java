package dev.powernode.server.support;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium, headless, through Debian's chromedriver (the two come from one source package,
 * so their versions match; scripts/test.sh installs them). Its profile and temporary files go under
 * {@code dir}. Selenium Manager is never asked for a driver: the driver is named.
 */
public final class Chromium {
    private Chromium() {}

    public static WebDriver start(Path dir, int width, int height) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=" + width + "," + height,
                "--user-data-dir=" + dir.resolve("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .usingAnyFreePort()
                .withEnvironment(Map.of("TMPDIR", dir.toString()))
                .build();
        if (width < 500) {
            // headless windows are at least 500 px wide: a phone is emulated
            options.setExperimentalOption(
                    "mobileEmulation",
                    Map.of("deviceMetrics", Map.of("width", width, "height", height, "pixelRatio", 1.0)));
        }
        WebDriver browser = new ChromeDriver(service, options);
        browser.manage().timeouts().implicitlyWait(Duration.ofSeconds(5));
        return browser;
    }
}
