package dev.relay.dist.console;

import dev.relay.dist.Relay;
import dev.relay.dist.config.ConfigFile;
import dev.relay.dist.config.ConfigLoader;
import dev.relay.dist.config.RelayConfig;
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.RecipientState;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.apache.commons.net.smtp.SMTPClient;
import org.apache.commons.net.smtp.SMTPReply;
import org.awaitility.Awaitility;

/**
 * A whole relay for the console's tests: SMTP and the ops endpoint on ephemeral loopback ports, and
 * every route to a port where nothing listens, so that mail it accepts is deferred and stays (the
 * first retry is an hour away).
 */
final class ConsoleRelay implements AutoCloseable {

    final Relay relay;
    final String base;

    private ConsoleRelay(Relay relay) {
        this.relay = relay;
        this.base = "http://127.0.0.1:" + relay.metricsAddress().orElseThrow().getPort();
    }

    static ConsoleRelay start(Path dir, String extra) throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort(); // closed below: connections to it are refused
        }
        Files.createDirectories(dir);
        Path routes = dir.resolve("routes");
        Files.writeString(routes, "*  [127.0.0.1]:" + dead + "\n");
        String text = "hostname = relay.test\n"
                + "data_directory = " + dir.resolve("data") + "\n"
                + "maildir_directory = " + dir.resolve("maildir") + "\n"
                + "listen = 127.0.0.1:0\n"
                + "metrics_listen = 127.0.0.1:0\n"
                + "routes_file = " + routes + "\n"
                + "tls_enabled = no\n"
                + "retry_min_backoff = 1h\nretry_max_backoff = 2h\n"
                + "shutdown_timeout = 5s\n"
                + extra;
        RelayConfig config = new ConfigLoader(dir, () -> "relay.test").load(ConfigFile.parse("relay.conf", text), Optional.empty());
        return new ConsoleRelay(Relay.start(config, Clock.systemUTC()));
    }

    QueueAdmin admin() {
        return relay.cliContext().queue();
    }

    /** Sends {@code count} messages from {@code from} to {@code to} in one session. */
    void send(int count, String from, String to) throws IOException {
        SMTPClient c = new SMTPClient();
        c.setDefaultTimeout(10_000);
        c.connect("127.0.0.1", relay.smtpAddresses().get(0).getPort());
        try {
            c.setSoTimeout(10_000);
            check(c, c.login("client.test"));
            for (int i = 0; i < count; i++) {
                check(c, c.setSender(from));
                check(c, c.addRecipient(to));
                check(c, c.sendShortMessageData("Subject: test " + i + "\r\nFrom: " + from + "\r\n\r\nbody " + i + "\r\n"));
            }
            c.logout();
        } finally {
            c.disconnect();
        }
    }

    private static void check(SMTPClient c, boolean ok) throws IOException {
        if (!ok && !SMTPReply.isPositiveCompletion(c.getReplyCode())) {
            throw new IOException("the relay said " + c.getReplyString());
        }
    }

    /** Waits until {@code n} messages are deferred (each tried once at the dead next hop). */
    void awaitDeferred(long n) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() ->
                admin().count(new QueueFilter(RecipientState.DEFERRED, null, null, null, null)) == n);
    }

    static HttpResponse<String> get(String url, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HttpClient.newHttpClient().send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String url, String form, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/x-www-form-urlencoded");
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HttpClient.newHttpClient().send(b.POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The CSRF token the console's page carries. */
    String token() throws Exception {
        String page = get(base + "/").body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("name=\"relay-token\" content=\"([^\"]+)\"").matcher(page);
        if (!m.find()) {
            throw new AssertionError("no token in the page: " + page);
        }
        return m.group(1);
    }

    @Override
    public void close() {
        relay.close();
    }
}
