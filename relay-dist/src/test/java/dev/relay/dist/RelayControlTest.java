package dev.relay.dist;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.relay.client.routing.Decision;
import dev.relay.mail.Path;
import dev.relay.mail.SourceRouteMode;
import dev.relay.queue.admin.QueueFilter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Relay control end to end (issue 17): the whole relay from a relay.conf text, with GreenMail as the
 * next hop of every domain that is not local (route {@code *}, behind a proxy that records the
 * envelope on the wire), in each of the four {@code source_routes} modes and with
 * {@code local_accept_unknown_users} yes and no.
 *
 * <p>The relay is {@code relay.test}; its local domains are {@code relay.test} and {@code ourdomain.test}
 * (with the Maildir of {@code u}), its relay domain is {@code partner.test}. Clients from 127.0.0.2 are
 * trusted; clients from 127.0.0.1 are not.
 *
 * <ul>
 * <li>From the untrusted client every form of {@link #ATTEMPTS}, the classic relay-test list, gets a
 * 5xx reply; then one ordinary message to the relay domain and one to the local user are accepted,
 * and they are all that reaches the next hop and the Maildirs: no other Maildir is made.</li>
 * <li>From the trusted client the same table is accepted or refused as each row says, and what is
 * accepted goes where the row says: to the next hop with that forward-path (and, in rfc821 mode,
 * our name in front of the reverse-path only when the forward-path had a route), into that Maildir,
 * or, for address literals and UTF-8 addresses (GreenMail offers no SMTPUTF8), to the next hop the
 * router names, without sending.</li>
 * </ul>
 */
@Timeout(300)
class RelayControlTest {

    static final String SENDER = "<s@src.test>";
    static final String ROUTED_SENDER = "<@relay.test:s@src.test>";

    /**
     * A relay attempt and what a trusted client gets for it. {@code trusted} is one of
     * {@code "501"}/{@code "550"} (refused with that code), {@code "sink <fwd>"} (sent to the next
     * hop with RCPT TO:&lt;fwd&gt;), {@code "local domain/user"} (that Maildir), or
     * {@code "hop DEST <fwd>"} (the router sends it to DEST, SINK standing for the next hop of
     * {@code *}; not sent by the test). {@code strip} is the outcome in strip mode, where the route
     * is dropped; a row with a route is refused with 550 5.7.1 in reject mode.
     */
    record Attempt(String rcpt, String trusted, String strip) {
        static Attempt of(String rcpt, String trusted) {
            return new Attempt(rcpt, trusted, trusted);
        }

        static Attempt routed(String rcpt, String trusted, String strip) {
            return new Attempt(rcpt, trusted, strip);
        }

        boolean hasRoute() {
            return rcpt.startsWith("<@");
        }

        boolean utf8() {
            return !StandardCharsets.US_ASCII.newEncoder().canEncode(rcpt);
        }

        String expected(SourceRouteMode mode) {
            if (mode == SourceRouteMode.REJECT && hasRoute() && !trusted.equals("501")) {
                return "550";
            }
            return mode == SourceRouteMode.STRIP ? strip : trusted;
        }
    }

    /** The classic relay-test list: percent hack, bang paths, quoted local parts, routes, literals, case, dots, IDN. */
    static final List<Attempt> ATTEMPTS = List.of(
            Attempt.of("<u@outside.example>", "sink <u@outside.example>"),
            Attempt.of("<u@OUTSIDE.EXAMPLE>", "sink <u@OUTSIDE.EXAMPLE>"),
            Attempt.of("<postmaster@outside.example>", "sink <postmaster@outside.example>"),
            Attempt.of("<u@outside.example.>", "501"),
            Attempt.of("<u@ourdomain.test.outside.example>", "sink <u@ourdomain.test.outside.example>"),
            Attempt.of("<u@outside.example.ourdomain.test>", "sink <u@outside.example.ourdomain.test>"),
            Attempt.of("<u@sub.partner.test>", "sink <u@sub.partner.test>"),
            // the percent hack
            Attempt.of("<u%outside.example@ourdomain.test>", "550"),
            Attempt.of("<U%Outside.Example@OurDomain.Test>", "550"),
            Attempt.of("<u%outside.example@relay.test>", "550"),
            Attempt.of("<u%outside.example%ourdomain.test@ourdomain.test>", "550"),
            Attempt.of("<u%outside.example@partner.test>", "sink <u%outside.example@partner.test>"),
            // bang paths
            Attempt.of("<outside.example!u@ourdomain.test>", "550"),
            Attempt.of("<ourdomain.test!outside.example!u@ourdomain.test>", "550"),
            Attempt.of("<outside.example!u@partner.test>", "sink <outside.example!u@partner.test>"),
            // quoted local parts with @, % and !
            Attempt.of("<\"u@outside.example\"@ourdomain.test>", "550"),
            Attempt.of("<\"u%outside.example\"@ourdomain.test>", "550"),
            Attempt.of("<\"outside.example!u\"@ourdomain.test>", "550"),
            Attempt.of("<\"u@outside.example\"@partner.test>", "sink <\"u@outside.example\"@partner.test>"),
            Attempt.of("<u@outside.example@ourdomain.test>", "501"),
            // source routes through us, a local domain or a relay domain, to the outside
            Attempt.of("<@ourdomain.test:u@outside.example>", "sink <u@outside.example>"),
            Attempt.of("<@OurDomain.Test:u@outside.example>", "sink <u@outside.example>"),
            Attempt.of("<@relay.test:u@outside.example>", "sink <u@outside.example>"),
            Attempt.routed("<@partner.test:u@outside.example>", "sink <@partner.test:u@outside.example>",
                    "sink <u@outside.example>"),
            Attempt.routed("<@Partner.Test:u@Outside.Example>", "sink <@Partner.Test:u@Outside.Example>",
                    "sink <u@Outside.Example>"),
            Attempt.routed("<@ourdomain.test,@partner.test:u@outside.example>",
                    "sink <@partner.test:u@outside.example>", "sink <u@outside.example>"),
            Attempt.routed("<@partner.test,@outside.example:u@partner.test>",
                    "sink <@partner.test,@outside.example:u@partner.test>", "sink <u@partner.test>"),
            Attempt.routed("<@outside.example:u@ourdomain.test>", "sink <@outside.example:u@ourdomain.test>",
                    "local ourdomain.test/u"),
            Attempt.routed("<@PARTNER.TEST.:u@outside.example>", "501", "501"),
            Attempt.routed("<@[127.0.0.1]:u@outside.example>", "501", "501"),
            // address literals: other hosts, our own address with a foreign local part, IPv6
            Attempt.of("<u@[192.0.2.1]>", "hop [192.0.2.1]:25 <u@[192.0.2.1]>"),
            Attempt.of("<u@[IPv6:2001:db8::1]>", "hop [2001:db8::1]:25 <u@[IPv6:2001:db8::1]>"),
            Attempt.of("<u@[127.0.0.1]>", "hop [127.0.0.1]:25 <u@[127.0.0.1]>"),
            Attempt.of("<u%outside.example@[127.0.0.1]>", "hop [127.0.0.1]:25 <u%outside.example@[127.0.0.1]>"),
            Attempt.of("<outside.example!u@[127.0.0.1]>", "hop [127.0.0.1]:25 <outside.example!u@[127.0.0.1]>"),
            Attempt.of("<u@[IPv6:::1]>", "hop [::1]:25 <u@[IPv6:::1]>"),
            Attempt.of("<u@[IPv6:::ffff:127.0.0.1]>", "hop [::ffff:127.0.0.1]:25 <u@[IPv6:::ffff:127.0.0.1]>"),
            // UTF-8 domains and local parts (MAIL with SMTPUTF8)
            Attempt.of("<u@b\u00fccher.example>", "hop SINK <u@b\u00fccher.example>"),
            Attempt.of("<u@xn--bcher-kva.example>", "sink <u@xn--bcher-kva.example>"),
            Attempt.of("<\u00fc%outside.example@ourdomain.test>", "550"),
            Attempt.routed("<@b\u00fccher.example:u@ourdomain.test>",
                    "hop SINK <@b\u00fccher.example:u@ourdomain.test>", "local ourdomain.test/u"));

    static Stream<Arguments> modes() {
        List<Arguments> all = new ArrayList<>();
        for (SourceRouteMode mode : SourceRouteMode.values()) {
            for (String acceptUnknown : List.of("yes", "no")) {
                all.add(Arguments.of(mode, acceptUnknown));
            }
        }
        return all.stream();
    }

    @TempDir
    java.nio.file.Path dir;

    private GreenMail sink;
    private RecordingProxy proxy;
    private Relay relay;

    @BeforeEach
    void startSink() throws Exception {
        sink = new GreenMail(ServerSetupTest.SMTP.dynamicPort());
        sink.start();
        proxy = new RecordingProxy(sink.getSmtp().getPort());
    }

    @AfterEach
    void stop() throws Exception {
        if (relay != null) {
            relay.close();
        }
        proxy.close();
        sink.stop();
    }

    private Relay start(SourceRouteMode mode, String acceptUnknown) throws Exception {
        Files.createDirectories(maildirs().resolve("ourdomain.test").resolve("u"));
        String routes = "*  [127.0.0.1]:" + proxy.port() + "\n";
        relay = Relays.start(dir, "relay.test", mode.name().toLowerCase(Locale.ROOT), routes,
                "local_domains = $hostname, ourdomain.test\n"
                        + "relay_domains = partner.test\n"
                        + "trusted_networks = 127.0.0.2/32\n"
                        + "local_accept_unknown_users = " + acceptUnknown + "\n"
                        + "max_errors = 1000\n"
                        + "tls_enabled = no\n",
                Clock.systemUTC());
        return relay;
    }

    private java.nio.file.Path maildirs() {
        return Relays.maildirRoot(dir, "relay.test");
    }

    @ParameterizedTest(name = "source_routes = {0}, local_accept_unknown_users = {1}")
    @MethodSource("modes")
    void everyRelayAttemptFromAnUntrustedClientIsRefusedAndNothingLeaves(SourceRouteMode mode, String acceptUnknown)
            throws Exception {
        assertThat(ATTEMPTS).hasSizeGreaterThanOrEqualTo(30);
        start(mode, acceptUnknown);
        try (Client c = Client.connect(Relays.port(relay), "127.0.0.1")) {
            for (Attempt a : ATTEMPTS) {
                assertThat(c.command("MAIL FROM:" + SENDER + (a.utf8() ? " SMTPUTF8" : ""))).startsWith("250");
                String reply = c.command("RCPT TO:" + a.rcpt());
                assertThat(reply).as("untrusted RCPT TO:%s", a.rcpt()).matches("5\\d\\d .*");
                if (!reply.startsWith("501")) {
                    // one reply for every relay refusal; reject mode refuses every route first
                    String refusal = mode == SourceRouteMode.REJECT && a.hasRoute()
                            ? "550 5\\.7\\.1 .*: Source routes are not accepted"
                            : "554 5\\.7\\.1 .*: Relay access denied";
                    assertThat(reply).as("RCPT TO:%s", a.rcpt()).matches(refusal);
                }
                assertThat(c.command("DATA")).as("no recipient was accepted").startsWith("503 5.5.1");
                assertThat(c.command("RSET")).startsWith("250");
            }
            // what an untrusted client may do: send to a relay domain and to a local user
            c.send(SENDER, List.of("<v@partner.test>", "<u@ourdomain.test>"), "Subject: allowed\r\n\r\nallowed\r\n");
        }
        awaitEmptyQueue();
        assertThat(proxy.transactions()).as("what reached the next hop").singleElement().satisfies(t -> {
            assertThat(t.mail()).isEqualTo("MAIL FROM:" + SENDER);
            assertThat(t.rcpts()).containsExactly("RCPT TO:<v@partner.test>");
        });
        assertThat(proxy.mailLines()).as("no other transaction was even begun").containsExactly("MAIL FROM:" + SENDER);
        assertThat(sink.getReceivedMessages()).hasSize(1);
        assertThat(maildirFolders()).containsExactly("ourdomain.test", "ourdomain.test/u");
        assertThat(messagesIn("ourdomain.test/u")).isEqualTo(1);
    }

    @ParameterizedTest(name = "source_routes = {0}, local_accept_unknown_users = {1}")
    @MethodSource("modes")
    void theSameTableFromATrustedClientGoesWhereEachRowSays(SourceRouteMode mode, String acceptUnknown)
            throws Exception {
        start(mode, acceptUnknown);
        List<String> sent = new ArrayList<>(); // "MAIL line -> RCPT line", several rows may send the same RCPT
        Map<String, Integer> local = new LinkedHashMap<>();
        Map<Boolean, List<String>> deliver = new LinkedHashMap<>(); // by "needs SMTPUTF8"
        try (Client c = Client.connect(Relays.port(relay), "127.0.0.2")) {
            for (Attempt a : ATTEMPTS) {
                String expected = a.expected(mode);
                if (expected.startsWith("sink ") || expected.startsWith("local ")) {
                    deliver.computeIfAbsent(a.utf8(), k -> new ArrayList<>()).add(a.rcpt());
                    if (expected.startsWith("sink ")) {
                        boolean grows = mode == SourceRouteMode.RFC821 && a.hasRoute(); // RFC 821 section 3.6
                        String mail = "MAIL FROM:" + (grows ? ROUTED_SENDER : SENDER);
                        sent.add(mail + " -> RCPT TO:" + expected.substring(5));
                    } else {
                        local.merge(expected.substring(6), 1, Integer::sum);
                    }
                    continue;
                }
                assertThat(c.command("MAIL FROM:" + SENDER + (a.utf8() ? " SMTPUTF8" : ""))).startsWith("250");
                String reply = c.command("RCPT TO:" + a.rcpt());
                if (expected.startsWith("hop ")) {
                    assertThat(reply).as("trusted RCPT TO:%s", a.rcpt()).startsWith("250");
                    String[] hop = expected.split(" ", 3);
                    Decision d = relay.cliContext().routing().router().route(Path.parseForwardPath(a.rcpt(), true));
                    assertThat(d).as("route of %s", a.rcpt()).isInstanceOf(Decision.Relay.class);
                    Decision.Relay r = (Decision.Relay) d;
                    assertThat(r.nextHop().destination()).as("next hop of %s", a.rcpt())
                            .isEqualTo(hop[1].equals("SINK") ? "[127.0.0.1]:" + proxy.port() : hop[1]);
                    assertThat(r.forwardPath().toString()).as("sent as").isEqualTo(hop[2]);
                } else {
                    assertThat(reply).as("trusted RCPT TO:%s", a.rcpt()).startsWith(expected + " ");
                    if (expected.equals("550")) {
                        assertThat(reply).as("RCPT TO:%s", a.rcpt()).startsWith(a.hasRoute() ? "550 5.7.1 "
                                : "550 5.1.1 "); // a routing operator names no local mailbox
                    }
                }
                assertThat(c.command("RSET")).startsWith("250");
            }
            // UTF-8 addresses only to local mailboxes here: GreenMail offers no SMTPUTF8
            c.send(SENDER, deliver.get(false), "Subject: trusted\r\n\r\ntrusted\r\n");
            if (deliver.containsKey(true)) {
                c.send(SENDER + " SMTPUTF8", deliver.get(true), "Subject: trusted UTF-8\r\n\r\ntrusted\r\n");
            }
        }
        awaitEmptyQueue();
        List<String> got = new ArrayList<>();
        for (RecordingProxy.Transaction t : proxy.transactions()) {
            for (String rcpt : t.rcpts()) {
                got.add(t.mail() + " -> " + rcpt);
            }
        }
        assertThat(got).as("MAIL FROM -> RCPT TO at the next hop").containsExactlyInAnyOrderElementsOf(sent);
        // in rfc821 mode plain and routed recipients for the one next hop: two transactions
        assertThat(proxy.transactions()).as("one transaction per reverse-path")
                .hasSize((int) sent.stream().map(x -> x.substring(0, x.indexOf(" -> "))).distinct().count());
        for (Map.Entry<String, Integer> e : local.entrySet()) {
            assertThat(messagesIn(e.getKey())).as("messages in %s", e.getKey()).isEqualTo(e.getValue().longValue());
        }
        Set<String> folders = new TreeSet<>(List.of("ourdomain.test", "ourdomain.test/u"));
        assertThat(maildirFolders()).as("no Maildir named by a routing operator").containsExactlyElementsOf(folders);
    }

    // --- helpers

    private void awaitEmptyQueue() {
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> relay.cliContext().queue().list(QueueFilter.ALL, 0, 100).isEmpty());
    }

    /** Every folder under the Maildir root, two levels deep (domain, domain/user), sorted. */
    private List<String> maildirFolders() throws IOException {
        List<String> found = new ArrayList<>();
        if (!Files.isDirectory(maildirs())) {
            return found;
        }
        try (Stream<java.nio.file.Path> domains = Files.list(maildirs())) {
            for (java.nio.file.Path d : domains.toList()) {
                found.add(d.getFileName().toString());
                try (Stream<java.nio.file.Path> users = Files.list(d)) {
                    users.forEach(u -> found.add(d.getFileName() + "/" + u.getFileName()));
                }
            }
        }
        return found.stream().sorted().toList();
    }

    private long messagesIn(String mailbox) throws IOException {
        java.nio.file.Path neu = maildirs().resolve(mailbox).resolve("new");
        if (!Files.isDirectory(neu)) {
            return 0;
        }
        try (Stream<java.nio.file.Path> files = Files.list(neu)) {
            return files.count();
        }
    }

    /** A line-at-a-time SMTP client from a chosen loopback address (the relay trusts 127.0.0.2 only). */
    static final class Client implements AutoCloseable {
        private final Socket socket;
        private final BufferedReader in;
        private final OutputStream out;

        private Client(Socket socket) throws IOException {
            this.socket = socket;
            this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            this.out = socket.getOutputStream();
        }

        static Client connect(int port, String from) throws IOException {
            Socket s = new Socket();
            s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
            s.setSoTimeout(20_000);
            Client c = new Client(s);
            assertThat(c.reply()).startsWith("220");
            assertThat(c.command("EHLO client.test")).startsWith("250");
            return c;
        }

        /** Sends one line, returns the reply (the last line of a multi-line one). */
        String command(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return reply();
        }

        String reply() throws IOException {
            String l;
            do {
                l = in.readLine();
                if (l == null) {
                    throw new IOException("connection closed by the relay");
                }
            } while (l.length() > 3 && l.charAt(3) == '-');
            return l;
        }

        /** One message from {@code from} to {@code rcpts}, each of which must be accepted. */
        void send(String from, List<String> rcpts, String content) throws IOException {
            assertThat(command("MAIL FROM:" + from)).startsWith("250");
            for (String r : rcpts) {
                assertThat(command("RCPT TO:" + r)).as("RCPT TO:%s", r).startsWith("250");
            }
            assertThat(command("DATA")).startsWith("354");
            assertThat(command(content + ".")).startsWith("250");
        }

        @Override
        public void close() throws IOException {
            try {
                command("QUIT");
            } finally {
                socket.close();
            }
        }
    }
}
