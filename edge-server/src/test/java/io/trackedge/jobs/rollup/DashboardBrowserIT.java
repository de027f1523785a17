package io.trackedge.jobs.rollup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's chromium, headless, driven by chromium-driver
 * (/usr/bin/chromedriver). Each page loads with no console error (the browser log is read), its
 * charts draw (a uPlot canvas of non-zero size), and the figures and table cells it shows equal
 * the stats API's answer to the same query. A session sees its own tenant only, even with the
 * tenant cookie edited by hand.
 */
class DashboardBrowserIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static StatsFixture fx;
    private WebDriver browser;
    private File profile;

    @BeforeAll
    static void start() throws Exception {
        fx = new StatsFixture(600);
    }

    @AfterAll
    static void stop() throws Exception {
        if (fx != null) {
            fx.close();
        }
    }

    @BeforeEach
    void openBrowser() throws Exception {
        profile = Files.createTempDirectory("chromium-profile-").toFile();
        ChromeOptions o = new ChromeOptions();
        o.setBinary("/usr/bin/chromium");
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                "--user-data-dir=" + profile.getAbsolutePath());
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        o.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, o);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    private String admin(String path) {
        return "http://127.0.0.1:" + fx.edge.adminPort() + path;
    }

    private void login(String key, String tenant) {
        browser.get(admin("/dashboard/login"));
        browser.findElement(By.id("key")).sendKeys(key);
        if (tenant != null) {
            browser.findElement(By.id("tenant")).sendKeys(tenant);
        }
        browser.findElement(By.id("login")).click();
    }

    /** The browser's console since the last call: none may be an error. */
    private void assertNoConsoleErrors(String page) {
        List<String> errors = new ArrayList<>();
        for (LogEntry e : browser.manage().logs().get(LogType.BROWSER)) {
            if (e.getLevel().intValue() >= Level.SEVERE.intValue()) {
                errors.add(e.getMessage());
            }
        }
        assertTrue(errors.isEmpty(), page + ": console errors " + errors);
    }

    /** Every chart has drawn: a canvas with non-zero size inside each [data-chart]. */
    private int assertChartsDrawn(String page) {
        List<WebElement> charts = browser.findElements(By.cssSelector("[data-chart]"));
        assertFalse(charts.isEmpty(), page + " has no chart");
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> charts.stream()
                .allMatch(c -> !c.findElements(By.tagName("canvas")).isEmpty()));
        for (WebElement c : charts) {
            WebElement canvas = c.findElement(By.tagName("canvas"));
            assertTrue(canvas.getSize().getWidth() > 0 && canvas.getSize().getHeight() > 0, page + " chart " + c.getAttribute("id"));
            Number w = (Number) ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("return arguments[0].width", canvas);
            assertTrue(w.intValue() > 0, page + " canvas backing width");
        }
        return charts.size();
    }

    /** The dashboard's 7 days: from the start of the UTC day 7 days before the next hour, to that hour. */
    private static String range7d() {
        Instant to = Instant.now().truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
        return "from=" + to.minus(7, ChronoUnit.DAYS).truncatedTo(ChronoUnit.DAYS) + "&to=" + to;
    }

    private static JsonNode api(String query, int tenant) throws Exception {
        var r = fx.get("/v1/stats?" + query, fx.readKeys[tenant]);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body());
    }

    /** The headline figures equal the API's totals for the page's query. */
    private void assertFiguresEqual(JsonNode answer) {
        List<WebElement> figures = browser.findElements(By.cssSelector(".figure [data-metric]"));
        assertEquals(answer.path("metrics").size(), figures.size());
        for (WebElement f : figures) {
            String m = f.getAttribute("data-metric");
            assertEquals(answer.path("totals").path(m).toString(), f.getAttribute("data-value"), m);
            assertEquals(answer.path("totals").path(m).toString(), f.getText(), m + " as shown");
        }
    }

    /** A table's cells equal the API's rows, in order. */
    private void assertTableEquals(String id, JsonNode answer, String dimension) {
        List<WebElement> rows = browser.findElements(By.cssSelector("#" + id + " tbody tr"));
        assertEquals(answer.path("rows").size(), rows.size(), id + " rows");
        for (int i = 0; i < rows.size(); i++) {
            JsonNode want = answer.path("rows").get(i);
            for (WebElement td : rows.get(i).findElements(By.tagName("td"))) {
                String k = td.getAttribute("data-key");
                String expected = k.equals(dimension) ? want.path(k).asText() : want.path(k).toString();
                assertEquals(expected, td.getText(), id + " row " + i + " " + k);
            }
        }
    }

    @Test
    void everyPageLoadsCleanlyDrawsItsChartsAndShowsTheApisFigures() throws Exception {
        login(fx.readKeys[0], null);
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> d.getCurrentUrl().endsWith("/dashboard"));
        assertNoConsoleErrors("overview");
        assertEquals(1, assertChartsDrawn("overview"));
        String r = range7d();
        assertFiguresEqual(api(r + "&metrics=sent,delivered,unique_opens,unique_clicks,replies,bounces,open_rate,click_rate,"
                + "machine_opens,machine_clicks", 0));
        JsonNode campaigns = api(r + "&granularity=total&dimensions=campaign&metrics=sent,delivered,unique_opens,unique_clicks,"
                + "replies,bounces,open_rate,click_rate", 0);
        assertTrue(campaigns.path("rows").size() >= 5, campaigns.toString());
        assertTableEquals("campaigns", campaigns, "campaign");
        assertTrue(campaigns.path("totals").path("sent").asLong() > 0);

        // campaign page, through its link
        String campaign = campaigns.path("rows").get(2).path("campaign").asText();
        // The traffic's clicks come milliseconds after their send, all a machine's: a link a person clicked, or the links
        // table is empty (a link clicked by scanners alone is no row under machine=exclude).
        try (Connection c = fx.testDb.connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO link_clicks_hourly"
                + " (tenant_id, hour, campaign_id, url, clicks_human, clickers_first_any, clickers_first_human) VALUES (?, ?, ?, ?, 2, 1, 1)")) {
            ps.setObject(1, Traffic.TENANTS[0]);
            ps.setObject(2, Instant.now().truncatedTo(ChronoUnit.HOURS).atOffset(ZoneOffset.UTC));
            ps.setString(3, campaign);
            ps.setString(4, "https://example.com/read-by-a-person");
            ps.executeUpdate();
        }
        browser.findElement(By.linkText(campaign)).click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> d.getTitle().startsWith("Campaign " + campaign));
        assertNoConsoleErrors("campaign");
        assertEquals(2, assertChartsDrawn("campaign"));
        String cr = r + "&campaign=" + URLEncoder.encode(campaign, StandardCharsets.UTF_8);
        assertFiguresEqual(api(cr + "&metrics=sent,delivered,unique_opens,unique_clicks,replies,bounces,open_rate,click_rate,"
                + "machine_opens,machine_clicks", 0));
        JsonNode links = api(cr + "&granularity=total&dimensions=link&metrics=clicks,unique_clicks,click_rate", 0);
        assertFalse(links.path("rows").isEmpty());
        assertTableEquals("links", links, "link");
        // another range keeps the campaign (its link once dropped the id: a 400 page)
        browser.findElement(By.linkText("30d")).click();
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> d.getCurrentUrl().contains("range=30d"));
        assertEquals("Campaign " + campaign + " · trackedge", browser.getTitle(), browser.getCurrentUrl());
        assertNoConsoleErrors("campaign, 30 days");

        // mailboxes and warm-up
        browser.get(admin("/dashboard/mailboxes"));
        assertNoConsoleErrors("mailboxes");
        assertEquals(1, assertChartsDrawn("mailboxes"));
        JsonNode boxes = api(r + "&granularity=total&dimensions=mailbox"
                + "&metrics=sent,delivered,bounces,complaints,unique_opens,replies,bounce_rate,complaint_rate", 0);
        assertTableEquals("mailboxes", boxes, "mailbox");
        assertFalse(browser.findElements(By.cssSelector("#warmup tbody tr")).isEmpty(), "warm-up rows");

        // live pipeline: the whole node's, refused to a key of one tenant; with a key of every tenant it draws,
        // and polls without errors
        browser.get(admin("/dashboard/pipeline"));
        assertTrue(browser.getPageSource().contains("needs a read key of every tenant"), browser.getPageSource());
        browser.manage().logs().get(LogType.BROWSER); // the refusal's status, logged as a failed load: expected
        browser.manage().deleteAllCookies();
        login(fx.allTenantsKey, Traffic.TENANTS[0].toString());
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> d.getCurrentUrl().endsWith("/dashboard"));
        browser.get(admin("/dashboard/pipeline"));
        assertEquals(1, assertChartsDrawn("pipeline"));
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> !d.findElements(By.cssSelector("#checks tbody tr")).isEmpty());
        assertNoConsoleErrors("pipeline");
        assertFalse(browser.findElements(By.cssSelector("[data-metric='edge_sink_lag_events']")).isEmpty());
    }

    @Test
    void aSessionSeesItsOwnTenantOnly() throws Exception {
        String r = range7d();
        String metrics = "&metrics=sent,delivered,unique_opens,unique_clicks,replies,bounces,open_rate,click_rate,machine_opens,machine_clicks";
        JsonNode mine = api(r + metrics, 1);
        JsonNode theirs = api(r + metrics, 0);
        assertNotEquals(theirs.path("totals"), mine.path("totals"), "tenants must differ for this test");
        login(fx.readKeys[1], null);
        new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> d.getCurrentUrl().endsWith("/dashboard"));
        assertFiguresEqual(mine);
        // the tenant cookie edited to another tenant: the API refuses (403), the page asks for a login
        browser.manage().addCookie(new Cookie("te_tenant", Traffic.TENANTS[0].toString(), "/dashboard"));
        browser.get(admin("/dashboard"));
        assertTrue(browser.getTitle().startsWith("Log in"), browser.getTitle());
        assertTrue(browser.findElement(By.id("error")).getText().contains("may not read tenant"),
                browser.findElement(By.id("error")).getText());
        assertTrue(browser.findElements(By.cssSelector("[data-metric]")).isEmpty());
        // a write-only key cannot log in
        browser.manage().deleteAllCookies();
        login(fx.writeOnlyKey, null);
        // the click returns before the refused login's page has loaded: wait for its message
        String refused = new WebDriverWait(browser, Duration.ofSeconds(30)).until(d -> {
            List<WebElement> error = d.findElements(By.id("error"));
            return error.isEmpty() || error.get(0).getText().isEmpty() ? null : error.get(0).getText();
        });
        assertTrue(refused.contains("no read scope"), refused);
        // without a session: the login page
        browser.manage().deleteAllCookies();
        browser.get(admin("/dashboard/mailboxes"));
        assertTrue(browser.getCurrentUrl().endsWith("/dashboard/login"), browser.getCurrentUrl());
    }
}
