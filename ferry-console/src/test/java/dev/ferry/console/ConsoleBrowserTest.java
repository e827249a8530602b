package dev.ferry.console;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import dev.ferry.server.control.FerryFixture;
import dev.ferry.server.control.RestClient;
import dev.ferry.server.control.SourceMetastore;
import dev.ferry.testkit.HmsClient;
import dev.ferry.testkit.HmsObjects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The web console in Debian's Chromium, against a real Ferry and a real MariaDB source: sign in, a Create migration
 * whose field violations show at their fields, a migration cancelled from its page, another created and watched
 * (per-table backfill, the lag chart drawing while changes stream), what a viewer is not offered and what the API
 * refuses when a page forges it anyway, Complete with its confirmation, the list and its filter, Delete. Saves
 * screenshots of the main pages (docs/CONSOLE.md shows them).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest
{
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    static Path directory;

    /** On a failure: a screenshot, the page's text and the browser's console, in target/browser-failures. */
    @RegisterExtension
    static final TestWatcher evidence = new TestWatcher()
    {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause)
        {
            if (browser == null) {
                return;
            }
            String name = "failed-" + context.getRequiredTestMethod().getName();
            try {
                Path directory = Path.of("target", "browser-failures");
                screenshot(directory, name);
                Files.writeString(directory.resolve(name + ".txt"), browser.getCurrentUrl() + "\n\n" + browser.findElement(By.tagName("body")).getText() + "\n\nconsole:\n"
                        + String.join("\n", browser.manage().logs().get(LogType.BROWSER).getAll().stream().map(Object::toString).toList()));
            }
            catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
    };

    private static SourceMetastore source;
    private static FerryFixture ferry;
    private static WebDriver browser;
    private static String base;
    private static String viewerToken;
    private static String cancelledId;
    private static String migrationId;

    @BeforeAll
    static void start()
            throws Exception
    {
        Path chromium = Path.of(System.getProperty("ferry.chromium", "/usr/bin/chromium"));
        Path chromedriver = Path.of(System.getProperty("ferry.chromedriver", "/usr/bin/chromedriver"));
        if (!Files.isExecutable(chromium) || !Files.isExecutable(chromedriver)) {
            throw new IllegalStateException("the browser tests need Chromium and its driver at %s and %s: on Debian or Ubuntu, apt-get install chromium chromium-driver (.ci/run does)"
                    .formatted(chromium, chromedriver));
        }
        source = SourceMetastore.start(2, 40);
        ferry = FerryFixture.start(directory.resolve("data"));
        base = "http://localhost:" + ferry.server().httpPort();
        RestClient.Response viewer = ferry.rest().post("/v1/tokens", ferry.adminToken(), "{\"principal\": \"auditor\", \"role\": \"viewer\"}");
        assertThat(viewer.status()).as(viewer.text()).isEqualTo(200);
        viewerToken = viewer.body().get("token").asText();

        ChromeOptions options = new ChromeOptions();
        LoggingPreferences logging = new LoggingPreferences();
        logging.enable(LogType.BROWSER, java.util.logging.Level.ALL);
        options.setCapability("goog:loggingPrefs", logging);
        options.setBinary(chromium.toFile());
        // As root, without a GPU, and with no connection attempted beyond this machine's loopback.
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + Files.createDirectories(directory.resolve("chromium")),
                "--window-size=1280,900", "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop()
    {
        if (browser != null) {
            browser.quit();
        }
        if (ferry != null) {
            ferry.close();
        }
        if (source != null) {
            source.close();
        }
    }

    @Test
    @Order(1)
    void signInKeepsTheTokenInTheTabAndShowsTheService()
            throws IOException
    {
        browser.get(base + "/");
        assertThat(browser.getCurrentUrl()).isEqualTo(base + "/console/");
        signIn("ferry_not-a-token");
        assertThat(textOf(By.id("sign-in-error"))).isEqualTo("Ferry does not know this token, or it was revoked.");
        screenshot("console-sign-in");

        signIn(ferry.adminToken());
        assertThat(waitForText(By.id("service-state"), "ACTIVE").getText()).isEqualTo("ACTIVE");
        assertThat(browser.findElement(By.id("service-endpoint")).getText()).startsWith("thrift://").endsWith(":" + ferry.thriftPort());
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("Hive Metastore version", "4.0.1", "POSTGRESQL");
        assertThat(browser.findElement(By.id("role")).getText()).isEqualTo("Signed in: admin");
        assertThat(script("return sessionStorage.getItem('ferry.token')")).isEqualTo(ferry.adminToken());
        assertThat(script("return localStorage.length")).isEqualTo(0L);
    }

    @Test
    @Order(2)
    void createShowsTheApiFieldViolationsAtTheirFields()
            throws IOException
    {
        click(By.id("nav-migrations"));
        assertThat(textOf(By.id("no-migrations"))).isEqualTo("No migrations yet.");
        click(By.id("create-migration"));
        fillConnectivity("70000");
        click(By.id("continue"));
        fillCapture("10.30.0.0/30");
        click(By.id("create"));

        // The API refused two fields, one on each step: the page goes back to the first step and shows each at its field.
        WebElement portError = waitForText(By.id("port-error"), "65535");
        assertThat(portError.isDisplayed()).isTrue();
        assertThat(browser.findElement(By.id("port")).getAttribute("aria-invalid")).isEqualTo("true");
        assertThat(browser.findElement(By.id("step-connectivity")).isDisplayed()).isTrue();
        assertThat(browser.findElement(By.id("subnet-ip-range-error")).getAttribute("textContent")).contains("29");
        assertThat(browser.findElement(By.id("create-error")).getText()).contains("INVALID_ARGUMENT");
        screenshot("console-create-connectivity");
        assertThat(ferry.rest().get("/v1/projects/ferry/locations/local/services/metastore/migrationExecutions", ferry.adminToken()).body().get("migrationExecutions")).isEmpty();
    }

    @Test
    @Order(3)
    void aMigrationCancelledFromItsPage()
    {
        clear(By.id("port")).sendKeys(String.valueOf(source.port()));
        click(By.id("continue"));
        clear(By.id("subnet-ip-range")).sendKeys("10.30.0.0/29");
        click(By.id("create"));
        cancelledId = migrationOnPage();
        waitForText(By.cssSelector("#headline .badge"), "RUNNING");

        click(By.id("cancel"));
        WebElement dialog = waitFor(By.id("confirm"));
        assertThat(dialog.getText()).contains("Cancel the migration?", "freshly initialised metastore", "The source is not changed.");
        click(By.id("confirm-yes"));
        waitForText(By.cssSelector("#headline .badge"), "CANCELLED");
        assertThat(browser.findElements(By.id("cancel"))).isEmpty();
        assertThat(textOf(By.id("delete"))).isNotEmpty(); // shown: textOf waits for it to be visible
    }

    @Test
    @Order(4)
    void aMigrationWatchedWhileItStreamsDrawsTheLagChart()
            throws Exception
    {
        click(By.id("nav-migrations"));
        click(By.id("create-migration"));
        fillConnectivity(String.valueOf(source.port()));
        click(By.id("continue"));
        fillCapture("10.30.0.0/29");
        click(By.id("create"));
        migrationId = migrationOnPage();
        assertThat(migrationId).isNotEqualTo(cancelledId);

        waitForText(By.id("stage"), "STREAMING");
        assertThat(browser.findElements(By.cssSelector("#backfill-tables tbody tr"))).hasSizeGreaterThan(50);
        assertThat(textOf(By.id("tables-done"))).matches("(\\d+) of \\1 tables copied");

        // Writes through Ferry, which serves from the source, stream to the own database; each applied one has a lag.
        try (HmsClient client = HmsClient.connect("localhost", ferry.thriftPort())) {
            for (int i = 0; i < 6; i++) {
                client.api().create_database(HmsObjects.database("console_" + i));
                Thread.sleep(700);
            }
        }
        new WebDriverWait(browser, WAIT).until(driver -> driver.findElements(By.cssSelector("#lag-chart circle.point")).size() >= 2);
        assertThat(attributeOf(By.cssSelector("#lag-chart polyline"), "points").orElse("").split(" ").length).isGreaterThanOrEqualTo(2);
        assertThat(textOf(By.id("lag-summary"))).matches("\\d+ samples from .* UTC; latest lag .*, peak .*\\.");
        assertThat(textOf(By.id("lag"))).matches("[0-9,.]+ (ms|s)");
        screenshot("console-migration-streaming");

        // Once every table is copied the per-table list is folded; opened, it stays open across the page's refreshes.
        assertThat(attributeOf(By.id("backfill-tables-details"), "open")).isEmpty();
        click(By.cssSelector("#backfill-tables-details summary"));
        assertThat(textOf(By.cssSelector("#backfill-tables tr[data-table='PARTITIONS'] td.number"))).isEqualTo("160");

        click(By.id("nav-service"));
        assertThat(textOf(By.id("active-migration"))).isEqualTo("Migration " + migrationId);
        assertThat(textOf(By.id("service-state"))).isEqualTo("MIGRATING");
        screenshot("console-service");
    }

    @Test
    @Order(5)
    void aViewerIsOfferedNoActionAndTheApiRefusesAForgedOne()
    {
        click(By.id("sign-out"));
        signIn(viewerToken);
        waitForText(By.id("role"), "viewer");
        click(By.id("nav-migrations"));
        waitFor(By.id("migrations"));
        assertThat(browser.findElements(By.id("create-migration"))).isEmpty();
        browser.get(base + "/console/#/migrations/" + migrationId);
        waitForText(By.id("stage"), "STREAMING");
        assertThat(browser.findElements(By.cssSelector("#complete, #cancel, #delete, #actions"))).isEmpty();
        browser.get(base + "/console/#/migrations/" + cancelledId);
        waitForText(By.cssSelector("#headline .badge"), "CANCELLED");
        assertThat(browser.findElements(By.id("delete"))).isEmpty();

        // What the page does not offer, forged from the page with the viewer's own token, the API refuses.
        Object answer = ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                fetch('/v1/projects/ferry/locations/local/services/metastore:completeMigration', {
                  method: 'POST', headers: {'Authorization': 'Bearer ' + sessionStorage.getItem('ferry.token'), 'Content-Type': 'application/json'}, body: '{}'})
                  .then(response => response.json().then(body => done(response.status + ' ' + body.error.status + ' ' + body.error.message)));
                """);
        assertThat(answer).asString().startsWith("403 PERMISSION_DENIED permission metastore.migrations.complete denied: principal auditor has role roles/metastore.viewer");
        assertThat(ferry.rest().get("/v1/projects/ferry/locations/local/services/metastore/migrationExecutions/" + migrationId, ferry.adminToken()).body().get("phase").asText())
                .isEqualTo("REPLICATION");
        click(By.id("sign-out"));
    }

    @Test
    @Order(6)
    void completeFromTheConsole()
            throws IOException
    {
        signIn(ferry.adminToken());
        waitFor(By.id("service-state"));
        browser.get(base + "/console/#/migrations/" + migrationId);
        click(By.id("complete"));
        assertThat(textOf(By.id("confirm"))).contains("Complete the migration?", "holds writes", "verifies every table");
        click(By.id("confirm-yes"));
        new WebDriverWait(browser, WAIT).until(ExpectedConditions.textToBe(By.cssSelector("#headline .badge"), "SUCCEEDED"));
        assertThat(textOf(By.id("write-pause"))).matches("[0-9,.]+ (ms|s)");
        assertThat(textOf(By.id("verification"))).startsWith("OK: ").contains(" 0 differences");
        assertThat(textOf(By.id("operations"))).contains("start", "complete");
        assertThat(browser.findElements(By.cssSelector("#lag-chart circle.point"))).hasSizeGreaterThanOrEqualTo(2);
        screenshot("console-migration-succeeded");
    }

    @Test
    @Order(7)
    void theListShowsBothAndFiltersByStateAndDeleteRemovesOne()
            throws IOException
    {
        click(By.id("nav-migrations"));
        waitForRows(List.of(migrationId + " SUCCEEDED CUTOVER", cancelledId + " CANCELLED REPLICATION"));
        screenshot("console-migrations");
        new Select(browser.findElement(By.id("state-filter"))).selectByValue("CANCELLED");
        waitForRows(List.of(cancelledId + " CANCELLED REPLICATION"));
        new Select(browser.findElement(By.id("state-filter"))).selectByValue("FAILED");
        assertThat(textOf(By.id("no-migrations"))).isEqualTo("No migration is FAILED.");

        browser.get(base + "/console/#/migrations/" + cancelledId);
        click(By.id("delete"));
        assertThat(textOf(By.id("confirm"))).contains("The metastore's data is not touched");
        click(By.id("confirm-yes"));
        waitForRows(List.of(migrationId + " SUCCEEDED CUTOVER"));
    }

    // ---- helpers ----

    private static void signIn(String token)
    {
        WebElement input = waitFor(By.id("token"));
        input.clear();
        input.sendKeys(token);
        browser.findElement(By.cssSelector("#sign-in button[type=submit]")).click();
    }

    private static void fillConnectivity(String port)
    {
        type("instance-connection-name", "my-project/us-central1/hms-mysql");
        type("ip-address", "127.0.0.1");
        clear(By.id("port")).sendKeys(port);
        type("hive-database-name", SourceMetastore.DATABASE);
        type("username", SourceMetastore.USER);
        type("password", SourceMetastore.PASSWORD);
        type("proxy-subnet", "proxy-subnet");
        type("nat-subnet", "10.20.0.0/29");
    }

    private static void fillCapture(String subnetIpRange)
    {
        type("cdc-username", SourceMetastore.CDC_USER);
        type("cdc-password", SourceMetastore.CDC_PASSWORD);
        type("vpc-network", "default");
        type("subnet-ip-range", subnetIpRange);
        type("reverse-proxy-subnet", "reverse-proxy-subnet");
        type("bucket", "file://" + directory.resolve("bucket").toAbsolutePath());
    }

    /** The id of the migration whose page the browser was sent to after Create. */
    private static String migrationOnPage()
    {
        new WebDriverWait(browser, WAIT).until(ExpectedConditions.urlMatches("#/migrations/[0-9a-f-]{36}$"));
        String url = browser.getCurrentUrl();
        waitFor(By.id("headline"));
        return url.substring(url.lastIndexOf('/') + 1);
    }

    /** Until the list shows exactly these rows; the page redraws it, so a row read half-way may go stale. */
    private static void waitForRows(List<String> expected)
    {
        new WebDriverWait(browser, WAIT).ignoring(StaleElementReferenceException.class).until(driver -> rows().equals(expected));
    }

    private static List<String> rows()
    {
        return browser.findElements(By.cssSelector("#migrations tbody tr")).stream()
                .map(row -> row.findElements(By.tagName("td")).stream().limit(3).map(WebElement::getText).reduce((a, b) -> a + " " + b).orElse(""))
                .toList();
    }

    private static void type(String id, String text)
    {
        clear(By.id(id)).sendKeys(text);
    }

    private static WebElement clear(By by)
    {
        WebElement element = waitFor(by);
        element.clear();
        return element;
    }

    /**
     * Clicks what {@code by} finds once it is clickable. The page redraws its lists every few seconds, replacing their
     * elements: one found just before a redraw is gone when clicked (stale), and is found again, as a user's second
     * look would.
     */
    private static void click(By by)
    {
        new WebDriverWait(browser, WAIT).ignoring(StaleElementReferenceException.class).until(driver -> {
            WebElement element = ExpectedConditions.elementToBeClickable(by).apply(driver);
            if (element == null) {
                return false;
            }
            element.click();
            return true;
        });
    }

    /** The text of what {@code by} finds once visible, found again when a redraw replaced it in between. */
    private static String textOf(By by)
    {
        return new WebDriverWait(browser, WAIT).ignoring(StaleElementReferenceException.class).until(driver -> {
            WebElement element = ExpectedConditions.visibilityOfElementLocated(by).apply(driver);
            return element == null ? null : element.getText();
        });
    }

    /**
     * An attribute of what {@code by} finds, empty when the element lacks it; found again when a redraw replaced the
     * element between the look-up and the read.
     */
    private static Optional<String> attributeOf(By by, String name)
    {
        return new WebDriverWait(browser, WAIT).ignoring(StaleElementReferenceException.class)
                .until(driver -> Optional.ofNullable(driver.findElement(by).getAttribute(name)));
    }

    private static WebElement waitFor(By by)
    {
        return new WebDriverWait(browser, WAIT).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    private static WebElement waitForText(By by, String text)
    {
        new WebDriverWait(browser, WAIT).until(ExpectedConditions.textToBePresentInElementLocated(by, text));
        return browser.findElement(by);
    }

    private static Object script(String code)
    {
        return ((JavascriptExecutor) browser).executeScript(code);
    }

    /** The whole page, as tall as it is, into the screenshot directory. */
    private static void screenshot(String name)
            throws IOException
    {
        screenshot(Path.of(System.getProperty("ferry.screenshots", "target/screenshots")), name);
    }

    private static void screenshot(Path folder, String name)
            throws IOException
    {
        Dimension size = browser.manage().window().getSize();
        long height = (Long) script("return Math.ceil(document.documentElement.scrollHeight)");
        browser.manage().window().setSize(new Dimension(size.getWidth(), (int) Math.max(size.getHeight(), height + 140)));
        try {
            Path directory = Files.createDirectories(folder);
            Path file = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(file, directory.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        }
        finally {
            browser.manage().window().setSize(size);
        }
    }
}
