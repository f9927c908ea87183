package dev.relay.dist.it;

import static org.assertj.core.api.Assertions.assertThat;

import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 section 6: relayctl lists, shows, holds, releases, retries and deletes the queue entries
 * of the running relay (a separate process started from the built distribution), whose next hop
 * is down so that the mail stays queued; SIGTERM stops it with exit code 0 and the queue intact,
 * which relayctl then reads from the files, and a restarted relay carries on with.
 */
@Timeout(600)
class QueueAdminIT {

    private static final Pattern QUEUE_ID = Pattern.compile("queued as ([0-9A-Z]+)");

    @TempDir
    Path dir;

    /** Sends one message with Angus Mail (Jakarta Mail) and returns the queue id from the 250 reply. */
    static String send(int port, String from, String to, String subject) throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", Integer.toString(port));
        p.put("mail.smtp.localhost", "client.test");
        p.put("mail.smtp.connectiontimeout", "20000");
        p.put("mail.smtp.timeout", "30000");
        Session session = Session.getInstance(p);
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress(from));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress(to));
        m.setSubject(subject);
        m.setText("Hello from the end-to-end test.\r\n");
        try (Transport t = session.getTransport("smtp")) {
            t.connect();
            t.sendMessage(m, m.getAllRecipients());
            String reply = ((org.eclipse.angus.mail.smtp.SMTPTransport) t).getLastServerResponse();
            Matcher q = QUEUE_ID.matcher(reply);
            assertThat(q.find()).as("250 reply names the queue id: %s", reply).isTrue();
            return q.group(1);
        }
    }

    static Dist.Result ctl(Path dir, String... args) throws Exception {
        String[] all = new String[args.length + 2];
        all[0] = "-c";
        all[1] = "relay.conf";
        System.arraycopy(args, 0, all, 2, args.length);
        return Dist.run(dir, "relayctl", "", all);
    }

    static Dist.Result ok(Dist.Result r) {
        assertThat(r.exitCode()).as("exit code; stderr: %s; stdout: %s", r.err(), r.out()).isZero();
        return r;
    }

    @Test
    void relayctlManagesTheQueueOfTheRunningRelayAndSigtermKeepsItIntact() throws Exception {
        int smtp = Dist.freePort();
        int downHop = Dist.freePort(); // nothing listens there: the next hop is down
        Files.writeString(dir.resolve("relay.conf"), "hostname = relay.test\ndata_directory = data\n"
                + "listen = 127.0.0.1:" + smtp + "\n"
                + "metrics_listen = none\n" + "tls_enabled = no\n"
                // after the first refused attempt, nothing is tried again by itself during the test
                + "retry_min_backoff = 1h\nretry_max_backoff = 2h\nhost_down_time = 1h\n"
                + "routes_file = routes\n");
        Files.writeString(dir.resolve("routes"), "*  [127.0.0.1]:" + downHop + "\n");

        String first;
        String second;
        try (Dist.Relay relay = Dist.start(dir, "-c", "relay.conf")) {
            relay.awaitLog("relay started in", Duration.ofSeconds(180));
            first = send(smtp, "alice@client.test", "bob@far.example", "first");
            second = send(smtp, "carol@client.test", "dave@far.example", "second");
            relay.awaitLog(first + ": to=<bob@far.example>, relay=none", Duration.ofSeconds(120));
            relay.awaitLog(second + ": to=<dave@far.example>, relay=none", Duration.ofSeconds(120));
            assertThat(relay.log()).contains(first + ": client=", "status=deferred");

            String queue = ok(ctl(dir, "queue")).out();
            assertThat(queue).contains(first, second, "<alice@client.test>", "<bob@far.example>", "<dave@far.example>");

            String show = ok(ctl(dir, "show", first)).out();
            assertThat(show).contains(first, "alice@client.test", "bob@far.example", "Subject: first");

            ok(ctl(dir, "hold", first));
            assertThat(ok(ctl(dir, "queue", "--state", "held")).out()).contains(first).doesNotContain(second);
            ok(ctl(dir, "release", first));
            assertThat(ok(ctl(dir, "queue", "--state", "held")).out()).doesNotContain(first);

            ok(ctl(dir, "retry", second));

            ok(ctl(dir, "delete", "--yes", second));
            assertThat(ok(ctl(dir, "queue")).out()).contains(first).doesNotContain(second);

            Dist.Result bad = ctl(dir, "show", "NOSUCHID0000");
            assertThat(bad.exitCode()).isEqualTo(1);

            assertThat(relay.terminate(Duration.ofSeconds(60))).as(relay.log()).isZero();
            assertThat(relay.log()).contains("relay stopped in").doesNotContain("Exception");
        }

        // stopped: relayctl reads the queue files themselves, and the message is still there
        String after = ok(ctl(dir, "queue")).out();
        assertThat(after).contains(first, "<bob@far.example>").doesNotContain(second);

        // a restart carries on with the queue as it was
        try (Dist.Relay relay = Dist.start(dir, "-c", "relay.conf")) {
            relay.awaitLog("relay started in", Duration.ofSeconds(180));
            assertThat(ok(ctl(dir, "queue")).out()).contains(first);
            assertThat(relay.terminate(Duration.ofSeconds(60))).isZero();
        }
    }
}
