package dev.relay.dist.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import jakarta.mail.internet.MimeMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The distribution as an admin meets it: the scripts, the configuration check, start, relayctl, SIGTERM. */
@Timeout(600)
class DistributionIT {

    @TempDir
    Path dir;

    @Test
    void theArchiveAndTheUnpackedTreeHoldTheScriptsConfigurationLibrariesAndDocuments() throws Exception {
        for (String f : new String[] {"bin/relay", "bin/relayctl"}) {
            assertThat(Dist.HOME.resolve(f)).isExecutable();
        }
        for (String f : new String[] {"conf/relay.conf", "conf/routes", "conf/logback.xml", "README.md", "LICENSE",
                "contrib/systemd/relay.service", "contrib/docker/Dockerfile"}) {
            assertThat(Dist.HOME.resolve(f)).isRegularFile();
        }
        assertThat(Files.list(Dist.HOME.resolve("lib")).map(p -> p.getFileName().toString()))
                .anySatisfy(n -> assertThat(n).startsWith("relay-dist-"))
                .anySatisfy(n -> assertThat(n).startsWith("relay-queue-"));
        try (var archives = Files.list(Dist.HOME.getParent())) {
            assertThat(archives.map(p -> p.getFileName().toString())).anySatisfy(n -> assertThat(n).matches("relay-.*\\.tar\\.gz"));
        }
    }

    @Test
    void aBadConfigurationGivesTheDocumentedErrorAndExitCodeOne() throws Exception {
        Files.writeString(dir.resolve("relay.conf"), """
                # a configuration with mistakes
                listen = 127.0.0.1:99999
                trusted_network = 10.0.0.0/8
                """);
        Dist.Result r = Dist.run(dir, "relay", "", "--check-config", "-c", "relay.conf");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).isEqualTo("""
                relay.conf:2: key 'listen': '127.0.0.1:99999' has a bad port '99999' (write a port from 1 to 65535)
                relay.conf:3: key 'trusted_network': unknown key (did you mean 'trusted_networks'?)
                relay: 2 problems in the configuration; fix them and check again
                """);
        Dist.Result start = Dist.run(dir, "relay", "", "-c", "relay.conf");
        assertThat(start.exitCode()).isEqualTo(1);
        assertThat(start.err()).endsWith("relay: 2 problems in the configuration; not started\n");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void theShippedConfigurationChecksAndBadCommandLinesExitTwo() throws Exception {
        Dist.Result ok = Dist.run(dir, "relay", "", "--check-config");
        assertThat(ok.exitCode()).isZero();
        assertThat(ok.out()).isEqualTo(Dist.HOME.resolve("conf/relay.conf") + ": configuration OK\n");
        Dist.Result bad = Dist.run(dir, "relay", "", "--frobnicate");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).isEqualTo("relay: Unknown option: '--frobnicate' (see 'relay --help')\n");
        Dist.Result ctl = Dist.run(dir, "relayctl", "", "queue", "--state", "lost");
        assertThat(ctl.exitCode()).isEqualTo(2);
        assertThat(ctl.err()).startsWith("relayctl: Invalid value for option '--state': 'lost' is not a recipient state (one of: queued, ")
                .endsWith("(see 'relayctl queue --help')\n");
    }

    @Test
    void relaysMailToAGreenMailNextHopDeliversLocallyServesHealthAndMetricsAndStopsOnSigtermWithExitCodeZero() throws Exception {
        int metrics = Dist.freePort();
        int smtp = Dist.freePort();
        GreenMail nextHop = new GreenMail(new ServerSetup(Dist.freePort(), "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        nextHop.start();
        Files.writeString(dir.resolve("routes"), "# everything to the GreenMail next hop\n*  [127.0.0.1]:"
                + nextHop.getSmtp().getPort() + "\n");
        Files.writeString(dir.resolve("relay.conf"), "hostname = relay.test\nlisten = 127.0.0.1:" + smtp + "\n"
                + "data_directory = data\n" // relative: the folder of relay.conf, wherever relay or relayctl runs
                + "metrics_listen = 127.0.0.1:" + metrics + "\n" + "tls_enabled = no\nroutes_file = routes\n");
        long t0 = System.nanoTime();
        try (Dist.Relay relay = Dist.start(dir, "-c", "relay.conf")) {
            relay.awaitLog("relay started in", Duration.ofSeconds(180));
            System.out.printf("relay process start to 'started': %d ms%n", (System.nanoTime() - t0) / 1_000_000);

            // a real client sends; the message arrives at the real next hop, with our Received: on top
            String id = QueueAdminIT.send(smtp, "alice@client.test", "bob@far.example", "over the relay");
            assertThat(nextHop.waitForIncomingEmail(120_000, 1)).as(relay.log()).isTrue();
            MimeMessage got = nextHop.getReceivedMessages()[0];
            assertThat(got.getSubject()).isEqualTo("over the relay");
            // GreenMail puts its own Received: on top; ours names us and the queue id
            assertThat(got.getHeader("Received")).anySatisfy(h -> assertThat(h).contains("relay.test").contains(id));
            relay.awaitLog(id + ": to=<bob@far.example>, relay=127.0.0.1[127.0.0.1]:" + nextHop.getSmtp().getPort(), Duration.ofSeconds(30));
            assertThat(relay.log()).contains(id + ": client=", "status=sent (250 ", id + ": removed");

            // postmaster of our own name is delivered into its Maildir
            String local = QueueAdminIT.send(smtp, "alice@client.test", "postmaster@relay.test", "for the postmaster");
            relay.awaitLog(local + ": to=<postmaster@relay.test>, relay=local", Duration.ofSeconds(60));
            try (var files = Files.list(dir.resolve("data/maildir/relay.test/postmaster/new"))) {
                assertThat(files.toList()).hasSize(1);
            }

            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> health = http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metrics + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"queue\":{\"status\":\"up\"", "\"smtp\":{\"status\":\"up\"");
            String scrape = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metrics + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(scrape).contains("relay_server_messages_accepted_total 2.0", "relay_delivery_recipients_total{status=\"sent\"} 2.0",
                    "relay_queue_recipients{state=\"queued\"}", "relay_queue_oldest_age_seconds",
                    "relay_delivery_transaction_seconds_bucket{le=");

            Dist.Result reload = Dist.run(dir, "relayctl", "", "-c", "relay.conf", "reload");
            assertThat(reload.exitCode()).as(reload.err()).isZero();
            assertThat(reload.out()).startsWith("reload: ");
            // relayctl run from another directory finds the same relay through the same file
            Dist.Result fromRoot = Dist.run(Path.of("/"), "relayctl", "", "-c", dir.resolve("relay.conf").toString(), "version");
            assertThat(fromRoot.exitCode()).as(fromRoot.err()).isZero();
            assertThat(fromRoot.out()).contains("running relay");
            assertThat(relay.log()).contains("relayctl: user=");

            long s0 = System.nanoTime();
            assertThat(relay.terminate(Duration.ofSeconds(120))).isZero();
            System.out.printf("SIGTERM to exit: %d ms%n", (System.nanoTime() - s0) / 1_000_000);
            assertThat(relay.log()).contains("relay stopped in").doesNotContain("Exception");
        } finally {
            nextHop.stop();
        }
        assertThat(dir.resolve("data/relayctl.sock")).doesNotExist();
        Dist.Result reload = Dist.run(dir, "relayctl", "", "-c", "relay.conf", "reload");
        assertThat(reload.exitCode()).isEqualTo(1);
        assertThat(reload.err()).startsWith("relayctl: reload: relay not running: no answer on the admin socket "
                + dir.resolve("data/relayctl.sock") + " (data folder " + dir.resolve("data") + ", configuration ");
        Dist.Result version = Dist.run(Path.of("/"), "relayctl", "", "-c", dir.resolve("relay.conf").toString(), "version");
        assertThat(version.exitCode()).as("asked about a relay that is not running").isEqualTo(1);
        assertThat(version.err()).contains("relay not running: no answer on the admin socket " + dir.resolve("data/relayctl.sock"));
    }
}
