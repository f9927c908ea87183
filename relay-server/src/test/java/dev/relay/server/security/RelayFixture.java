package dev.relay.server.security;

import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.admin.MessageView;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.QueueId;
import dev.relay.queue.QueueSettings;
import dev.relay.queue.jdbc.H2MessageQueue;
import dev.relay.server.LocalRecipients;
import dev.relay.server.ServerSettings;
import dev.relay.server.SmtpServer;
import dev.relay.server.auth.AuthSettings;
import dev.relay.server.auth.PasswordHash;
import dev.relay.server.auth.SmtpAuth;
import dev.relay.server.auth.UsersFile;
import dev.relay.server.command.CommandTable;
import dev.relay.server.tls.ServerTls;
import dev.relay.server.tls.TestPki;
import dev.relay.server.tls.TlsSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real receiver for the security tests: SmtpServer on 127.0.0.1 port 0 with STARTTLS (a test
 * CA's certificate for {@value #HOST}), an implicit-TLS listener, AUTH against a users file, and
 * the real H2 queue in a temporary folder, so "what reached the queue" is what the durable queue
 * holds. The loopback client is <em>not</em> trusted (no trusted networks) unless a test says so:
 * relaying must be earned by AUTH.
 */
final class RelayFixture implements AutoCloseable {

    static final String HOST = "relay.test";
    static final String LOCAL_DOMAIN = "ourdomain.test";
    static final String USER = "alice";
    static final String PASSWORD = "correct horse battery staple";
    /** The local mailboxes that exist. */
    static final Set<String> LOCAL_USERS = Set.of("u", "bob");

    private static TestPki pki;

    final H2MessageQueue queue;
    final SmtpServer server;
    final SmtpAuth auth;
    final ServerTls tls;

    private RelayFixture(Path dir, UnaryOperator<ServerSettings.Builder> settings, boolean requireTls,
                         Duration authFailureDelay, Duration handshakeTimeout) throws Exception {
        TestPki ca = pki();
        Path certDir = Files.createDirectories(dir.resolve("cert"));
        Path[] files = ca.issue(HOST).write(certDir);
        tls = ServerTls.create(new TlsSettings(true, files[0], files[1], null, HOST, requireTls, handshakeTimeout),
                Clock.systemUTC());
        Path users = dir.resolve("users");
        new UsersFile(users, new PasswordHash(PasswordHash.MIN_ITERATIONS)).add(USER, PASSWORD.toCharArray());
        auth = new SmtpAuth(AuthSettings.defaults(users).withFailureDelay(authFailureDelay),
                new UsersFile(users, new PasswordHash(PasswordHash.MIN_ITERATIONS)));
        queue = H2MessageQueue.open(QueueSettings.defaults(dir.resolve("queue")), Clock.systemUTC());
        ServerSettings.Builder b = ServerSettings.builder()
                .listen(List.of(new InetSocketAddress("127.0.0.1", 0)))
                .hostName(HOST)
                .trustedNetworks(List.of())
                .localDomains(Set.of(LOCAL_DOMAIN))
                .spoolDirectory(dir.resolve("spool"))
                .stopTimeout(Duration.ofSeconds(5))
                .ioThreads(2);
        LocalRecipients local = m -> m.localPart() != null && LOCAL_USERS.contains(m.localPart());
        CommandTable table = CommandTable.standard(tls, auth).build();
        server = new SmtpServer(settings.apply(b).build(), queue, local, new SimpleMeterRegistry(), Clock.systemUTC(),
                QueueId::generate, table);
        server.implicitTls(List.of(new InetSocketAddress("127.0.0.1", 0)), tls::installImplicit);
        server.start();
    }

    static synchronized TestPki pki() throws Exception {
        if (pki == null) {
            pki = new TestPki("Security Test CA");
        }
        return pki;
    }

    /** A client TLS context that trusts the test CA. */
    static SSLContext clientTls() throws Exception {
        return pki().clientContext();
    }

    static RelayFixture start(Path dir) throws Exception {
        return new RelayFixture(dir, b -> b, false, Duration.ofMillis(300), TlsSettings.DEFAULT_HANDSHAKE_TIMEOUT);
    }

    static RelayFixture start(Path dir, UnaryOperator<ServerSettings.Builder> settings) throws Exception {
        return new RelayFixture(dir, settings, false, Duration.ofMillis(300), TlsSettings.DEFAULT_HANDSHAKE_TIMEOUT);
    }

    static RelayFixture start(Path dir, UnaryOperator<ServerSettings.Builder> settings, boolean requireTls,
                              Duration authFailureDelay) throws Exception {
        return new RelayFixture(dir, settings, requireTls, authFailureDelay, TlsSettings.DEFAULT_HANDSHAKE_TIMEOUT);
    }

    static RelayFixture startWithHandshakeTimeout(Path dir, Duration handshakeTimeout) throws Exception {
        return new RelayFixture(dir, b -> b, false, Duration.ofMillis(300), handshakeTimeout);
    }

    int port() {
        return server.boundAddresses().get(0).getPort();
    }

    int implicitTlsPort() {
        return server.boundAddresses().get(1).getPort();
    }

    RawSmtp connect() throws IOException {
        return new RawSmtp(port());
    }

    RawSmtp connect(int readTimeoutMillis) throws IOException {
        return new RawSmtp(port(), readTimeoutMillis);
    }

    /** Every message in the queue, oldest first. */
    List<MessageView> messages() {
        return queue.admin().list(QueueFilter.ALL, 0, 10_000);
    }

    MessageDetail detail(QueueId id) {
        return queue.admin().show(id).orElseThrow(() -> new AssertionError("not in the queue: " + id));
    }

    String body(QueueId id) throws IOException {
        try (InputStream in = queue.openBody(id)) {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * Sends one ordinary message to a local user over a fresh connection and returns its queue id:
     * "a fresh client is served normally".
     */
    QueueId sendOrdinaryMessage(String marker) throws IOException {
        try (RawSmtp c = connect()) {
            assertThat(c.reply().code()).isEqualTo(220);
            assertThat(c.command("EHLO client.test").code()).isEqualTo(250);
            assertThat(c.command("MAIL FROM:<sender@elsewhere.test>").code()).isEqualTo(250);
            assertThat(c.command("RCPT TO:<u@" + LOCAL_DOMAIN + ">").code()).isEqualTo(250);
            assertThat(c.command("DATA").code()).isEqualTo(354);
            RawSmtp.Reply done = c.command("Subject: " + marker + "\r\n\r\n" + marker + "\r\n.");
            assertThat(done.code()).as("end of data: %s", done).isEqualTo(250);
            assertThat(c.command("QUIT").code()).isEqualTo(221);
            return new QueueId(done.text().substring(done.text().lastIndexOf(" ") + 1));
        }
    }

    /**
     * After an attack: a fresh client is served normally, and {@code earlier} (accepted before the
     * attack) is still in the queue with its content.
     */
    void assertStillServesAndKept(QueueId earlier, String earlierMarker) throws IOException {
        QueueId fresh = sendOrdinaryMessage("after-" + earlierMarker);
        assertThat(body(fresh)).contains("after-" + earlierMarker);
        assertThat(body(earlier)).contains(earlierMarker);
        assertThat(detail(earlier).view().recipients()).hasSize(1);
    }

    @Override
    public void close() {
        server.stop();
        auth.close();
        queue.close();
    }
}
