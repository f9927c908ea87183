package dev.relay.dist.console;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.queue.admin.MessageView;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.RecipientState;
import dev.relay.queue.admin.RecipientView;
import dev.relay.server.auth.PasswordHash;
import dev.relay.server.auth.UsersFile;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The console over HTTP against a whole relay whose next hop is down: pages, the JSON, paging, actions and their guards. */
@Timeout(180)
class ConsoleTest {

    private static final Pattern ID = Pattern.compile("\"id\":\"([A-Z0-9]+)\"");

    @TempDir
    Path dir;
    ConsoleRelay r;

    @AfterEach
    void stop() {
        if (r != null) {
            r.close();
        }
    }

    private List<MessageView> all(RecipientState state) {
        return r.admin().list(new QueueFilter(state, null, null, null, null), 0, 10_000);
    }

    private static List<String> ids(String json) {
        List<String> ids = new ArrayList<>();
        Matcher m = ID.matcher(json);
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    @Test
    void pagesAndAssetsComeFromTheRelayWithAStrictPolicy() throws Exception {
        r = ConsoleRelay.start(dir, "");
        for (String page : List.of("/", "/queue", "/message/ABCDEF123")) {
            HttpResponse<String> res = ConsoleRelay.get(r.base + page);
            assertThat(res.statusCode()).as(page).isEqualTo(200);
            assertThat(res.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(res.headers().firstValue("Content-Security-Policy").orElseThrow())
                    .contains("script-src 'self'", "frame-ancestors 'none'");
            assertThat(res.body()).contains("/assets/uPlot.js", "/assets/console.js").doesNotContain("http://", "https://");
        }
        for (String asset : List.of("uPlot.js", "uPlot.css", "console.js", "console.css")) {
            HttpResponse<String> res = ConsoleRelay.get(r.base + "/assets/" + asset);
            assertThat(res.statusCode()).as(asset).isEqualTo(200);
            assertThat(res.body()).as(asset).hasSizeGreaterThan(500);
        }
        assertThat(ConsoleRelay.get(r.base + "/assets/../../etc/passwd").statusCode()).isEqualTo(404);
        assertThat(ConsoleRelay.get(r.base + "/nothing").statusCode()).isEqualTo(404);
        assertThat(ConsoleRelay.get(r.base + "/metrics").body()).contains("relay_server_messages_accepted_total");
        assertThat(ConsoleRelay.get(r.base + "/health").statusCode()).isEqualTo(200);
    }

    @Test
    void theTableIsReadAPageAtATimeAndFilteredLikeRelayctlQueue() throws Exception {
        r = ConsoleRelay.start(dir, "");
        r.send(70, "alice@a.test", "x@far.test");
        r.send(50, "bob@b.test", "y@far.test");
        r.awaitDeferred(120);

        Set<String> seen = new HashSet<>();
        String after = null;
        int pages = 0;
        do {
            String json = ConsoleRelay.get(r.base + "/api/messages?limit=50" + (after == null ? "" : "&after=" + after)).body();
            List<String> page = ids(json);
            assertThat(page.size()).isLessThanOrEqualTo(50);
            assertThat(seen).doesNotContainAnyElementsOf(page);
            seen.addAll(page);
            Matcher next = Pattern.compile("\"next\":\"([^\"]+)\"").matcher(json);
            after = next.find() ? URLEncoder.encode(next.group(1), StandardCharsets.UTF_8) : null;
            pages++;
        } while (after != null && pages < 10);
        assertThat(pages).isEqualTo(3);
        assertThat(seen).hasSize(120);

        assertThat(ids(ConsoleRelay.get(r.base + "/api/messages?from=ALICE&limit=500").body())).hasSize(70);
        assertThat(ConsoleRelay.get(r.base + "/api/count?from=alice").body()).isEqualTo("{\"messages\":70}");
        assertThat(ConsoleRelay.get(r.base + "/api/count?state=deferred&to=y%40far").body()).isEqualTo("{\"messages\":50}");
        assertThat(ConsoleRelay.get(r.base + "/api/count?older=1d").body()).isEqualTo("{\"messages\":0}");

        HttpResponse<String> bad = ConsoleRelay.get(r.base + "/api/messages?state=stuck");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("state 'stuck' is not a recipient state");
        assertThat(ConsoleRelay.get(r.base + "/api/messages?older=soon").body()).contains("older 'soon'");
        assertThat(ConsoleRelay.get(r.base + "/api/messages?limit=100000").statusCode()).isEqualTo(400);
    }

    @Test
    void aMessagePageHasTheEnvelopeRecipientsHistoryHeadersAndTheBodyOnRequest() throws Exception {
        r = ConsoleRelay.start(dir, "");
        r.send(1, "alice@a.test", "x@far.test");
        r.awaitDeferred(1);
        String id = all(RecipientState.DEFERRED).get(0).id().value();

        String json = ConsoleRelay.get(r.base + "/api/message/" + id.toLowerCase()).body();
        assertThat(json).contains("\"id\":\"" + id + "\"", "\"sender\":\"<alice@a.test>\"", "\"address\":\"<x@far.test>\"",
                "\"state\":\"deferred\"", "\"helo\":\"client.test\"", "\"history\":[{", "\"outcome\":\"deferred\"",
                "Subject: test 0");
        assertThat(json).doesNotContain("body 0");
        HttpResponse<String> body = ConsoleRelay.get(r.base + "/api/message/" + id + "/body");
        assertThat(body.statusCode()).isEqualTo(200);
        assertThat(body.body()).contains("Received: ", "Subject: test 0", "body 0");

        HttpResponse<String> gone = ConsoleRelay.get(r.base + "/api/message/ZZZZZZZZ");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(gone.body()).contains("ZZZZZZZZ is not in the queue");
        assertThat(ConsoleRelay.get(r.base + "/api/message/no-such!").statusCode()).isEqualTo(400);
    }

    @Test
    void aChangeNeedsThePagesTokenAndASameOriginRequest() throws Exception {
        r = ConsoleRelay.start(dir, "");
        r.send(2, "alice@a.test", "x@far.test");
        r.awaitDeferred(2);
        String id = all(RecipientState.DEFERRED).get(0).id().value();
        String token = r.token();
        String form = "action=hold&id=" + id;

        HttpResponse<String> none = ConsoleRelay.post(r.base + "/api/action", form);
        assertThat(none.statusCode()).isEqualTo(403);
        assertThat(none.body()).contains("X-Relay-Token");
        assertThat(ConsoleRelay.post(r.base + "/api/action", form, "X-Relay-Token", token + "x").statusCode()).isEqualTo(403);
        assertThat(ConsoleRelay.post(r.base + "/api/action", form, "X-Relay-Token", token,
                "Origin", "http://evil.example").statusCode()).isEqualTo(403);
        assertThat(ConsoleRelay.post(r.base + "/api/action", form, "X-Relay-Token", token,
                "Sec-Fetch-Site", "cross-site").statusCode()).isEqualTo(403);
        assertThat(ConsoleRelay.get(r.base + "/api/action?" + form).statusCode()).isEqualTo(405);
        assertThat(all(RecipientState.HELD)).isEmpty();

        HttpResponse<String> ok = ConsoleRelay.post(r.base + "/api/action", form, "X-Relay-Token", token,
                "Origin", r.base, "Sec-Fetch-Site", "same-origin");
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).isEqualTo("{\"action\":\"hold\",\"messages\":1,\"recipients\":1}");
        assertThat(all(RecipientState.HELD)).extracting(m -> m.id().value()).containsExactly(id);

        HttpResponse<String> unknown = ConsoleRelay.post(r.base + "/api/action", "action=burn&id=" + id, "X-Relay-Token", token);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(unknown.body()).contains("action 'burn' is not one of");
    }

    @Test
    void aFilteredActionTouchesWhatTheConfirmationCountedAndNothingWhenTheCountChanged() throws Exception {
        r = ConsoleRelay.start(dir, "");
        r.send(30, "alice@a.test", "x@far.test");
        r.send(5, "bob@b.test", "y@far.test");
        r.awaitDeferred(35);
        String token = r.token();

        HttpResponse<String> stale = ConsoleRelay.post(r.base + "/api/action",
                "action=hold&scope=filter&from=alice&expect=29", "X-Relay-Token", token);
        assertThat(stale.statusCode()).isEqualTo(409);
        assertThat(stale.body()).contains("now holds 30 messages, not 29");
        assertThat(all(RecipientState.HELD)).isEmpty();

        HttpResponse<String> held = ConsoleRelay.post(r.base + "/api/action",
                "action=hold&scope=filter&from=alice&expect=30", "X-Relay-Token", token);
        assertThat(held.body()).isEqualTo("{\"action\":\"hold\",\"messages\":30,\"recipients\":30}");
        assertThat(all(RecipientState.HELD)).hasSize(30)
                .allSatisfy(m -> assertThat(m.reversePath().toString()).isEqualTo("<alice@a.test>"));

        ConsoleRelay.post(r.base + "/api/action", "action=release&scope=filter&state=held&expect=30", "X-Relay-Token", token);
        assertThat(all(RecipientState.HELD)).isEmpty();

        HttpResponse<String> deleted = ConsoleRelay.post(r.base + "/api/action",
                "action=delete&scope=filter&from=bob&expect=5", "X-Relay-Token", token);
        assertThat(deleted.body()).isEqualTo("{\"action\":\"delete\",\"messages\":5,\"recipients\":0}");
        assertThat(r.admin().count(QueueFilter.ALL)).isEqualTo(30);
    }

    @Test
    void withoutUsersOnlyALoopbackHostIsAnswered() throws Exception {
        r = ConsoleRelay.start(dir, "");
        int port = r.relay.metricsAddress().orElseThrow().getPort();
        assertThat(rawGet(port, "/", "evil.example:" + port)).startsWith("HTTP/1.1 403").contains("loopback host name");
        assertThat(rawGet(port, "/api/overview", "rebind.attacker.test")).startsWith("HTTP/1.1 403");
        assertThat(rawGet(port, "/", "localhost:" + port)).startsWith("HTTP/1.1 200");
        assertThat(rawGet(port, "/", "[::1]:" + port)).startsWith("HTTP/1.1 200");
        // /metrics and /health are not the console's: a Prometheus may name the host as it likes
        assertThat(rawGet(port, "/metrics", "relay.example:" + port)).startsWith("HTTP/1.1 200");
    }

    @Test
    void withUsersEveryRequestNeedsALogin() throws Exception {
        Path users = dir.resolve("console-users");
        new UsersFile(users, new PasswordHash(PasswordHash.MIN_ITERATIONS)).add("ops", "s3cret pass".toCharArray());
        r = ConsoleRelay.start(dir.resolve("relay"), "console_users_file = " + users + "\n");

        HttpResponse<String> anonymous = ConsoleRelay.get(r.base + "/");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"relay console\", charset=\"UTF-8\"");
        assertThat(ConsoleRelay.get(r.base + "/api/overview", "Authorization", basic("ops", "wrong")).statusCode()).isEqualTo(401);
        assertThat(ConsoleRelay.get(r.base + "/api/overview", "Authorization", basic("nobody", "s3cret pass")).statusCode())
                .isEqualTo(401);
        HttpResponse<String> in = ConsoleRelay.get(r.base + "/api/overview", "Authorization", basic("ops", "s3cret pass"));
        assertThat(in.statusCode()).isEqualTo(200);
        assertThat(in.body()).contains("\"host\":\"relay.test\"", "\"states\":{\"queued\":0");
        assertThat(ConsoleRelay.get(r.base + "/metrics").statusCode()).isEqualTo(200);
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** A GET with a Host header of our choosing (HttpClient does not let one set it). */
    private static String rawGet(int port, String path, String host) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @SuppressWarnings("unused")
    private static List<String> addresses(MessageView m) {
        return m.recipients().stream().map(RecipientView::forwardPath).map(Object::toString).toList();
    }
}
