package dev.relay.dist.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.queue.admin.MessageView;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.RecipientState;
import dev.relay.queue.admin.RecipientView;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser: Debian's headless chromium driven by chromedriver (both from apt,
 * never downloaded by the test), against a whole relay whose next hop is down. Runs with
 * {@code -Pbrowser} ({@code .ci/run} installs chromium and enables it). Screenshots of each page go
 * to {@code target/console-screenshots/}.
 */
@Tag("browser")
@Timeout(300)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleBrowserTest {

    static final Path SHOTS = Path.of("target", "console-screenshots");
    static final String CHROMIUM = System.getProperty("relay.chromium", "/usr/bin/chromium");
    static final String DRIVER = System.getProperty("relay.chromedriver", "/usr/bin/chromedriver");

    @TempDir
    Path dir;
    ChromeDriver browser;
    ConsoleRelay r;

    @BeforeAll
    void browser() throws Exception {
        if (!new File(CHROMIUM).canExecute() || !new File(DRIVER).canExecute()) {
            throw new IllegalStateException("the browser tests need " + CHROMIUM + " and " + DRIVER
                    + ": apt-get install -y chromium chromium-driver (or run without -Pbrowser)");
        }
        Files.createDirectories(SHOTS);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--disable-extensions", "--no-first-run", "--lang=en-US");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER))
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(30));
    }

    @AfterAll
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @BeforeEach
    void relay() throws Exception {
        r = ConsoleRelay.start(dir.resolve("relay-" + System.nanoTime()), "");
        r.send(30, "alice@a.test", "x@far.test");
        r.send(5, "bob@b.test", "y@far.test");
        r.awaitDeferred(35);
        browser.manage().window().setSize(new Dimension(1280, 900));
    }

    @AfterEach
    void stopRelay(org.junit.jupiter.api.TestInfo test) throws Exception {
        // what the browser showed last, for a failure's diagnosis
        Files.write(SHOTS.resolve("last-" + test.getTestMethod().orElseThrow().getName() + ".png"),
                browser.getScreenshotAs(OutputType.BYTES));
        Files.writeString(SHOTS.resolve("last-" + test.getTestMethod().orElseThrow().getName() + ".html"), browser.getPageSource());
        if (r != null) {
            r.close();
        }
    }

    private WebDriverWait waiting(int seconds) {
        return new WebDriverWait(browser, Duration.ofSeconds(seconds), Duration.ofMillis(200));
    }

    private void open(String path) {
        browser.get(r.base + path);
        waiting(30).until(d -> "true".equals(((JavascriptExecutor) d).executeScript("return document.body.dataset.ready")));
    }

    private Object js(String script, Object... args) {
        return browser.executeScript(script, args);
    }

    /** The whole page as a PNG under target/console-screenshots (the window made as tall as the page). */
    private Path screenshot(String name) throws Exception {
        Dimension was = browser.manage().window().getSize();
        long height = (Long) js("return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)");
        browser.manage().window().setSize(new Dimension(was.getWidth(), (int) Math.min(4000, Math.max(was.getHeight(), height + 140))));
        Path file = SHOTS.resolve(name + ".png");
        Files.write(file, browser.getScreenshotAs(OutputType.BYTES));
        browser.manage().window().setSize(was);
        return file;
    }

    private List<WebElement> rows() {
        return browser.findElements(By.cssSelector("#rows tr"));
    }

    private String status() {
        // by script: a page that re-renders after an action replaces the element between a find and a read
        Object text = js("const s = document.getElementById('status'); return s ? s.textContent : '';");
        return text == null ? "" : text.toString();
    }

    private void confirm(String expectedText) {
        WebElement text = browser.findElement(By.id("confirm-text"));
        waiting(10).until(d -> text.isDisplayed());
        assertThat(text.getText()).contains(expectedText);
        browser.findElement(By.id("confirm-ok")).click();
    }

    private List<MessageView> inState(RecipientState s) {
        return r.admin().list(new QueueFilter(s, null, null, null, null), 0, 1000);
    }

    @Test
    void theOverviewCountsTheQueueAndItsChartsDrawTheLastMinutes() throws Exception {
        open("/");
        waiting(20).until(d -> browser.findElement(By.id("count-deferred")).getText().equals("35"));
        assertThat(browser.findElement(By.id("count-held")).getText()).isEqualTo("0");
        assertThat(browser.findElement(By.id("hops-table")).getText()).contains("[127.0.0.1]", "35");
        assertThat(browser.findElement(By.id("node")).getText()).contains("relay.test");
        // the history samples every 10 s and the page reads it every 10 s: the depth chart gets the deferred mail
        waiting(60).until(d -> (Boolean) js("const u = window.relayCharts.find(c => c.relayTitle.startsWith('Queue depth'));"
                + " return !!u && u.data[2].some(v => v !== null && v >= 35);"));
        // and has drawn it: pixels of the deferred series' colour (#9a6700) on its canvas
        waiting(15).until(d -> ((Long) js("const u = window.relayCharts.find(c => c.relayTitle.startsWith('Queue depth'));"
                + " const c = u.ctx.canvas; const px = u.ctx.getImageData(0, 0, c.width, c.height).data; let n = 0;"
                + " for (let i = 0; i < px.length; i += 4) { if (px[i+3] > 200 && Math.abs(px[i]-154) < 30"
                + "   && Math.abs(px[i+1]-103) < 30 && px[i+2] < 40) n++; } return n;")) > 5);
        assertThat((Boolean) js("const u = window.relayCharts.find(c => c.relayTitle === 'Per minute');"
                + " return u.data[1].some(v => v !== null && v >= 35);")).as("accepted per minute").isTrue();
        assertThat(browser.manage().logs().get("browser").getAll())
                .as("no errors (a blocked script or style would show here)")
                .noneMatch(e -> e.getLevel().intValue() >= java.util.logging.Level.SEVERE.intValue());
        screenshot("overview");
        browser.manage().window().setSize(new Dimension(360, 800));
        assertThat((Long) js("return document.documentElement.scrollWidth")).isLessThanOrEqualTo(360L);
        screenshot("overview-360");
    }

    @Test
    void theTableShowsTheQueueAFilterNarrowsItAndHoldThenReleaseChangeTheQueue() throws Exception {
        open("/queue");
        assertThat(rows()).hasSize(35);
        assertThat(browser.findElement(By.id("queue-table")).getText()).contains("<alice@a.test>", "<bob@b.test>", "deferred");

        browser.findElement(By.name("from")).sendKeys("alice");
        browser.findElement(By.id("apply")).click();
        waiting(20).until(d -> d.getCurrentUrl().endsWith("/queue?from=alice")
                && "true".equals(js("return document.body.dataset.ready")));
        assertThat(rows()).hasSize(30);
        assertThat(browser.findElement(By.id("queue-table")).getText()).doesNotContain("<bob@b.test>");
        screenshot("queue");

        // one message: select it, hold, confirm "1 message"
        String id = rows().get(0).getAttribute("data-id");
        rows().get(0).findElement(By.cssSelector("input[type=checkbox]")).click();
        browser.findElement(By.id("action-hold")).click();
        confirm("Hold 1 message?");
        waiting(20).until(d -> status().startsWith("hold: 1 message"));
        assertThat(inState(RecipientState.HELD)).extracting(m -> m.id().value()).containsExactly(id);
        assertThat(browser.findElement(By.cssSelector("#rows tr[data-id='" + id + "']")).getText()).contains("held");

        // the filtered selection: the confirmation counts what the filter matches
        new Select(browser.findElement(By.id("scope"))).selectByValue("filter");
        browser.findElement(By.id("action-hold")).click();
        confirm("Hold 30 messages?");
        waiting(20).until(d -> status().startsWith("hold: 30 messages, 29 recipients changed"));
        assertThat(inState(RecipientState.HELD)).hasSize(30);

        browser.findElement(By.id("action-release")).click();
        confirm("Release 30 messages?");
        waiting(20).until(d -> status().startsWith("release: 30 messages, 30 recipients changed"));
        assertThat(inState(RecipientState.HELD)).isEmpty();
        assertThat(r.admin().list(QueueFilter.ALL, 0, 100)).flatExtracting(MessageView::recipients)
                .extracting(RecipientView::state).doesNotContain(RecipientState.HELD).hasSize(35);

        // a cancelled confirmation does nothing
        browser.findElement(By.id("action-delete")).click();
        browser.findElement(By.id("confirm-cancel")).click();
        assertThat(r.admin().count(QueueFilter.ALL)).isEqualTo(35);

        browser.manage().window().setSize(new Dimension(360, 800));
        assertThat((Long) js("return document.documentElement.scrollWidth")).isLessThanOrEqualTo(360L);
        screenshot("queue-360");
    }

    @Test
    void aMessagePageShowsItAllAndActsOnThatMessage() throws Exception {
        open("/queue?from=bob");
        String id = rows().get(0).getAttribute("data-id");
        rows().get(0).findElement(By.linkText(id)).click();
        waiting(20).until(d -> d.getCurrentUrl().endsWith("/message/" + id)
                && "true".equals(js("return document.body.dataset.ready")));
        assertThat(browser.findElement(By.id("recipients")).getText()).contains("<y@far.test>", "deferred", "1");
        assertThat(browser.findElement(By.id("history")).getText()).contains("[127.0.0.1]", "deferred");
        assertThat(browser.findElement(By.id("headers")).getText()).contains("Received:", "Subject: test");
        browser.findElement(By.id("show-body")).click();
        waiting(10).until(d -> !d.findElements(By.id("body-text")).isEmpty());
        assertThat(browser.findElement(By.id("body-text")).getText()).contains("body ");
        screenshot("message");

        browser.findElement(By.id("action-hold")).click();
        confirm("Hold 1 message?");
        waiting(20).until(d -> status().startsWith("hold: 1 message"));
        assertThat(browser.findElement(By.id("recipients")).getText()).contains("held");
        assertThat(inState(RecipientState.HELD)).extracting(m -> m.id().value()).containsExactly(id);

        browser.findElement(By.id("action-release")).click();
        confirm("Release 1 message?");
        waiting(20).until(d -> status().startsWith("release: 1 message"));
        assertThat(inState(RecipientState.HELD)).isEmpty();

        browser.findElement(By.id("action-delete")).click();
        confirm("Delete 1 message?");
        waiting(20).until(d -> d.getCurrentUrl().endsWith("/queue"));
        assertThat(r.admin().show(new dev.relay.queue.QueueId(id))).isEmpty();
        assertThat(r.admin().count(QueueFilter.ALL)).isEqualTo(34);
    }
}
