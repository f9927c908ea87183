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
        // man pages and bash completion, generated at build time from the command models and the keys
        for (String f : new String[] {"man/relay.8", "man/relayctl.8", "man/relayctl-queue.8", "man/relay.conf.5",
                "completion/relayctl"}) {
            assertThat(Dist.HOME.resolve(f)).isRegularFile();
        }
        assertThat(Files.readString(Dist.HOME.resolve("man/relayctl.8"))).startsWith("'\\\" t").contains(".TH \"RELAYCTL\" \"8\"");
        Process complete = new ProcessBuilder("bash", "-c", "source \"$1\"; COMP_WORDS=(relayctl qu); COMP_CWORD=1;"
                + " COMP_LINE='relayctl qu'; COMP_POINT=11; _complete_relayctl relayctl qu relayctl; echo \"${COMPREPLY[@]}\"",
                "bash", Dist.HOME.resolve("completion/relayctl").toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start(); // compopt complains outside a real completion
        String completed = new String(complete.getInputStream().readAllBytes()).strip();
        assertThat(complete.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(completed).as("bash completion of 'relayctl qu'").isEqualTo("queue");
        assertThat(Files.list(Dist.HOME.resolve("lib")).map(p -> p.getFileName().toString()))
                .anySatisfy(n -> assertThat(n).startsWith("relay-dist-"))
                .anySatisfy(n -> assertThat(n).startsWith("relay-queue-"));
        // lib/ holds exactly the jars src/main/assembly/lib.txt lists, each with its reason
        java.util.Set<String> listed = new java.util.TreeSet<>();
        for (String line : Files.readAllLines(Path.of("src/main/assembly/lib.txt"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                listed.add(line.strip().split("\\s+")[0]);
            }
        }
        java.util.Set<String> shipped = new java.util.TreeSet<>();
        try (var jars = Files.list(Dist.HOME.resolve("lib"))) {
            // artifact-VERSION[-classifier].jar: the artifact is what comes before the first -DIGIT
            jars.forEach(j -> shipped.add(j.getFileName().toString().replaceFirst("-\\d.*$", "")));
        }
        assertThat(shipped).as("lib/ against src/main/assembly/lib.txt (list a new jar there, with why it is needed)")
                .isEqualTo(listed);
        try (var archives = Files.list(Dist.HOME.getParent())) {
            assertThat(archives.map(p -> p.getFileName().toString())).anySatisfy(n -> assertThat(n).matches("relay-.*\\.tar\\.gz"));
        }
    }

    @Test
    void binRelayGivesTheJvmABoundedHeapThatRelayJavaOptsReplacesAndJavaOptsOverrides() throws Exception {
        // a "java" that prints the options it is given, so that the script's command line is seen exactly
        Path fakeJava = Files.createDirectories(dir.resolve("jdk/bin")).resolve("java");
        Files.writeString(fakeJava, "#!/bin/sh\n[ \"$1\" = -version ] && { echo 'openjdk version \"17.0.9\"' >&2; exit 0; }\n"
                + "printf '%s\\n' \"$@\"\n");
        fakeJava.toFile().setExecutable(true);
        java.util.Map<String, String> env = new java.util.HashMap<>(java.util.Map.of("JAVA_HOME", dir.resolve("jdk").toString(),
                "JAVA_OPTS", ""));
        java.util.List<String> plain = Dist.run(dir, env, "relay", "", "--version").out().lines().toList();
        assertThat(plain).contains("-Xmx512m", "-XX:MaxDirectMemorySize=256m").endsWith("dev.relay.dist.RelayMain", "--version");

        env.put("RELAY_JAVA_OPTS", "-Xmx200m");
        assertThat(Dist.run(dir, env, "relay", "", "--version").out().lines().toList())
                .contains("-Xmx200m").doesNotContain("-Xmx512m");

        env.remove("RELAY_JAVA_OPTS");
        env.put("JAVA_OPTS", "-Xmx1g");
        java.util.List<String> both = Dist.run(dir, env, "relay", "", "--version").out().lines().toList();
        assertThat(both.indexOf("-Xmx1g")).as("JAVA_OPTS comes after the default, so its -Xmx wins").isGreaterThan(both.indexOf("-Xmx512m"));
    }

    @Test
    void theSystemdInstallScriptMakesTheFoldersWithTheirOwnersAndRelayctlWorksFromAnyDirectory() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")),
                "contrib/systemd/install.sh runs as root");
        Path prefix = Files.createDirectories(dir.resolve("root"));
        ProcessBuilder install = new ProcessBuilder(Dist.HOME.resolve("contrib/systemd/install.sh").toString())
                .redirectErrorStream(true);
        install.environment().put("PREFIX", prefix.toString());
        install.environment().put("RELAY_USER", "root"); // exists everywhere: no user is created on the test machine
        for (int run = 0; run < 2; run++) { // a second run changes nothing
            Process p = install.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
        }
        java.util.function.Function<String, String> mode = f -> {
            try {
                return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(prefix.resolve(f)));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        assertThat(mode.apply("etc/relay")).isEqualTo("rwxr-x---");
        assertThat(mode.apply("etc/relay/relay.conf")).isEqualTo("rw-r-----");
        assertThat(mode.apply("var/lib/relay")).isEqualTo("rwx------");
        assertThat(Files.getOwner(prefix.resolve("var/lib/relay")).getName()).isEqualTo("root");
        Path conf = prefix.resolve("etc/relay/relay.conf");
        assertThat(Files.readString(conf)).contains("data_directory = " + prefix.resolve("var/lib/relay"));

        int smtp = Dist.freePort();
        Files.writeString(conf, "listen = 127.0.0.1:" + smtp + "\nmetrics_listen = none\ntls_enabled = no\n",
                java.nio.file.StandardOpenOption.APPEND);
        try (Dist.Relay relay = Dist.start(dir, "-c", conf.toString())) {
            relay.awaitLog("relay started in", Duration.ofSeconds(180));
            ProcessBuilder ctl = new ProcessBuilder(prefix.resolve("usr/local/sbin/relayctl").toString(), "version")
                    .directory(new java.io.File("/")).redirectErrorStream(true);
            ctl.environment().remove("RELAY_CONF");
            Process p = ctl.start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("running relay");
            assertThat(relay.terminate(Duration.ofSeconds(120))).isZero();
        }
        Path analyze = Path.of("/usr/bin/systemd-analyze");
        if (Files.isExecutable(analyze)) { // the installed unit, with this installation's paths
            Process p = new ProcessBuilder(analyze.toString(), "verify", prefix.resolve("etc/systemd/system/relay.service").toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
        }
    }

    @Test
    void aRelayStartedWithSighupIgnoredSaysToUseRelayctlReload() throws Exception {
        int smtp = Dist.freePort();
        Files.writeString(dir.resolve("relay.conf"), "hostname = relay.test\nlisten = 127.0.0.1:" + smtp + "\n"
                + "data_directory = data\nmetrics_listen = none\ntls_enabled = no\n");
        // as nohup does: SIGHUP ignored before the JVM starts, which then cannot take it back
        Path log = dir.resolve("nohup.log");
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", "trap '' HUP; exec \"$0\" \"$@\"",
                Dist.HOME.resolve("bin/relay").toString(), "-c", "relay.conf")
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().remove("RELAY_CONF");
        try (Dist.Relay relay = new Dist.Relay(pb.start(), log)) {
            relay.awaitLog("relay started in", Duration.ofSeconds(180));
            assertThat(relay.log()).contains("warning: SIGHUP is ignored in this process", "use relayctl reload");
            assertThat(relay.terminate(Duration.ofSeconds(120))).isZero();
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
            // the container's HEALTHCHECK command, as the Dockerfile has it, against this relay's port
            String dockerfile = Files.readString(Dist.HOME.resolve("contrib/docker/Dockerfile"));
            java.util.regex.Matcher hc = java.util.regex.Pattern.compile("\"/bin/bash\", \"-c\", \"(.*)\"]").matcher(dockerfile);
            assertThat(hc.find()).as("HEALTHCHECK CMD in the Dockerfile").isTrue();
            String probe = hc.group(1).replace("\\\\", "\\").replace("/9025", "/" + metrics);
            Process healthcheck = new ProcessBuilder("/bin/bash", "-c", probe).start();
            assertThat(healthcheck.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(healthcheck.exitValue()).as("HEALTHCHECK " + probe).isZero();
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
