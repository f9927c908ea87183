package dev.relay.dist;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.server.tls.SelfSignedCertificates;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import sun.misc.SignalHandler;

/**
 * {@code relay --check-config} finds what would stop a start: every bad line of the route table,
 * routes whose auth=NAME has no credentials, a TLS certificate or key that is not PEM or not a pair.
 * A start runs the same checks ({@link StartChecks}), so the two never disagree.
 */
@Timeout(60)
class RelayMainTest {

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    Result relay(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        var cl = RelayMain.commandLine(Map.of());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    Path conf(String text) throws Exception {
        return Files.writeString(dir.resolve("relay.conf"), "hostname = relay.test\ndata_directory = data\n" + text);
    }

    @Test
    void aRouteTableWithFiveBadLinesGetsFiveProblems() throws Exception {
        Files.writeString(dir.resolve("routes"), """
                a.test [127.0.0.1]:99999
                b.test
                c.test host tls=maybe
                good.test [127.0.0.1]:2525
                d..test host
                e.test host color=red
                """);
        Result r = relay("--check-config", "-c", conf("routes_file = routes\n").toString());
        assertThat(r.code()).isEqualTo(1);
        String routes = dir.resolve("routes").toString();
        assertThat(r.err().lines()).containsExactly(
                routes + ":1: bad port in next hop \"[127.0.0.1]:99999\": expected 1..65535",
                routes + ":2: expected \"PATTERN NEXTHOP [OPTION=VALUE...]\", got \"b.test\"",
                routes + ":3: bad tls=\"maybe\": expected none, opportunistic, required or implicit",
                routes + ":5: bad pattern \"d..test\": expected a domain, .domain or *",
                routes + ":6: unknown option \"color\": expected tls=, auth= or concurrency=",
                "relay: 5 problems in the files the configuration names; fix them and check again");
    }

    @Test
    void aRouteWithAuthNeedsACredentialsFileWithThatEntry() throws Exception {
        Files.writeString(dir.resolve("routes"), "* [smtp.example.net]:587 tls=required auth=provider\n");
        Path conf = conf("routes_file = routes\n");
        Result none = relay("--check-config", "-c", conf.toString());
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.err()).startsWith(dir.resolve("routes") + ":1: auth=provider needs a credentials file, but "
                + "client_credentials_file = none (set client_credentials_file in " + conf);

        Path credentials = Files.writeString(dir.resolve("credentials"), "other relay@example.org:secret\n");
        Files.setPosixFilePermissions(credentials, PosixFilePermissions.fromString("rw-------"));
        conf = conf("routes_file = routes\nclient_credentials_file = credentials\n");
        Result missing = relay("--check-config", "-c", conf.toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).startsWith(dir.resolve("routes") + ":1: auth=provider has no entry in " + credentials
                + " (add the line 'provider user:password' to it, or fix the name)");

        Files.writeString(credentials, "provider relay@example.org:secret\n");
        Result ok = relay("--check-config", "-c", conf.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).isEqualTo(conf + ": configuration OK\n");
    }

    @Test
    void aCertificateOrKeyThatIsNotPemOrNotAPairFailsTheCheck() throws Exception {
        var one = SelfSignedCertificates.loadOrCreate(Files.createDirectories(dir.resolve("one")), "relay.test", Clock.systemUTC());
        var two = SelfSignedCertificates.loadOrCreate(Files.createDirectories(dir.resolve("two")), "relay.test", Clock.systemUTC());
        Result mismatch = relay("--check-config", "-c",
                conf("tls_certificate = " + one.certificate() + "\ntls_key = " + two.key() + "\n").toString());
        assertThat(mismatch.code()).isEqualTo(1);
        assertThat(mismatch.err()).contains("tls_key: the key in " + two.key() + " does not belong to the certificate in "
                + one.certificate());

        Path notPem = Files.writeString(dir.resolve("cert.der"), "this is not PEM\n");
        Result bad = relay("--check-config", "-c", conf("tls_certificate = cert.der\ntls_key = " + one.key() + "\n").toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).contains("tls_certificate: " + notPem);

        Result ok = relay("--check-config", "-c",
                conf("tls_certificate = " + one.certificate() + "\ntls_key = " + one.key() + "\n").toString());
        assertThat(ok.code()).as(ok.err()).isZero();
    }

    @Test
    void aHostNameThatLooksLikeAContainerIdIsWarnedAbout() throws Exception {
        Path conf = Files.writeString(dir.resolve("relay.conf"), "hostname = 3f2a9c1b7d4e\ndata_directory = data\n");
        Result r = relay("--check-config", "-c", conf.toString());
        assertThat(r.code()).isZero();
        assertThat(r.err()).startsWith("relay: warning: the host name 3f2a9c1b7d4e looks like a container id")
                .contains("RELAY_HOSTNAME");
        Files.writeString(conf, "hostname = mx1.example.org\ndata_directory = data\n");
        assertThat(relay("--check-config", "-c", conf.toString()).err()).isEmpty();
    }

    @Test
    void checkConfigAndAStartRefuseTheSameCrossKeyProblemWithTheSameMessage() throws Exception {
        Path conf = conf("listen = 127.0.0.1:0\nmetrics_listen = none\ntls_enabled = no\ntls_implicit_listen = 127.0.0.1:0\n");
        String problem = conf + ":6: key 'tls_implicit_listen': is set but tls_enabled = no"
                + " (enable TLS, or set tls_implicit_listen = none)";
        Result check = relay("--check-config", "-c", conf.toString());
        Result start = relay("-c", conf.toString());
        assertThat(check.code()).isEqualTo(1);
        assertThat(start.code()).isEqualTo(1);
        assertThat(check.err().lines()).containsExactly(problem,
                "relay: 1 problem in the configuration; fix them and check again");
        assertThat(start.err().lines()).containsExactly(problem,
                "relay: 1 problem in the configuration; not started");
        assertThat(dir.resolve("data")).doesNotExist();
    }

    @Test
    void checkConfigPrintsTheWarningsAStartLogs() throws Exception {
        Path conf = conf("listen = 127.0.0.1:0\nmetrics_listen = none\ntls_enabled = no\nauth_enabled = yes\n");
        Result check = relay("--check-config", "-c", conf.toString());
        assertThat(check.code()).as(check.err()).isZero();
        assertThat(check.err().lines()).containsExactly("relay: warning: AUTH is not offered: it needs TLS (tls_enabled = no)");

        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
                new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(Relay.class);
        logger.addAppender(logs);
        try (Relay relay = Relay.start(dev.relay.dist.config.ConfigLoader.forThisMachine().load(Optional.of(conf)), Clock.systemUTC())) {
            assertThat(relay.smtpAddresses()).isNotEmpty();
        } finally {
            logger.detachAppender(logs);
        }
        assertThat(List.copyOf(logs.list)).filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                .extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .containsExactly("AUTH is not offered: it needs TLS (tls_enabled = no)");
    }

    @Test
    void aSighupIgnoredAtStartIsWarnedAboutWithWhatToDoInstead() {
        assertThat(RelayMain.hupWarning(SignalHandler.SIG_IGN)).hasValueSatisfying(w -> assertThat(w)
                .contains("SIGHUP is ignored").contains("relayctl reload"));
        assertThat(RelayMain.hupWarning(SignalHandler.SIG_DFL)).isEqualTo(Optional.empty());
    }
}
