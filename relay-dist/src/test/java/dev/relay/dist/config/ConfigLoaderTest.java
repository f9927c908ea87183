package dev.relay.dist.config;

import dev.relay.server.policy.Cidr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private ConfigLoader loader() {
        return new ConfigLoader(dir, () -> "mx1.example.org");
    }

    private RelayConfig load(String text) throws ConfigException {
        return loader().load(ConfigFile.parse("relay.conf", text), Optional.of(dir.resolve("relay.conf")));
    }

    private List<String> problems(String text) {
        try {
            load(text);
        } catch (ConfigException e) {
            return e.problems().stream().map(ConfigProblem::toString).toList();
        }
        throw new AssertionError("expected configuration errors for: " + text);
    }

    @Test
    void noFileGivesTheEmbeddedDefaults() throws Exception {
        RelayConfig c = loader().load(Optional.empty());
        assertThat(c.file()).isEmpty();
        assertThat(c.hostname()).isEqualTo("mx1.example.org");
        assertThat(c.dataDirectory()).isEqualTo(dir.resolve("data"));
        assertThat(c.adminSocket()).isEqualTo(dir.resolve("data/relayctl.sock"));
        assertThat(c.maildirDirectory()).isEqualTo(dir.resolve("data/maildir"));
        assertThat(c.listen()).containsExactly(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 2525));
        assertThat(c.trustedNetworks()).extracting(Cidr::toString).containsExactly("127.0.0.0/8", "0:0:0:0:0:0:0:1/128");
        assertThat(c.localDomains()).containsExactly("mx1.example.org");
        assertThat(c.relayDomains()).isEmpty();
        assertThat(c.routesFile()).isEmpty();
        assertThat(c.metricsListen()).contains(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 9025));
        assertThat(c.shutdownTimeout()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void readsKeyValueLinesCommentsContinuationsAndVariables() throws Exception {
        RelayConfig c = load("""
                # a comment
                hostname = Relay.Example.COM.
                   # an indented comment is still a comment
                local_domains = $hostname,
                    mail.${hostname} example.net
                relay_domains = .example.org
                data_directory = /var/lib/relay
                listen = 0.0.0.0:25, [::1]:2525
                trusted_networks = 192.0.2.0/24 2001:db8::/32 10.1.2.3
                shutdown_timeout = 2m
                metrics_listen = none
                """);
        assertThat(c.hostname()).isEqualTo("relay.example.com");
        assertThat(c.localDomains()).containsExactly("relay.example.com", "mail.relay.example.com", "example.net");
        assertThat(c.relayDomains()).containsExactly(".example.org");
        assertThat(c.adminSocket()).isEqualTo(Path.of("/var/lib/relay/relayctl.sock"));
        assertThat(c.listen()).hasSize(2);
        assertThat(c.listen().get(1).getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
        assertThat(c.trustedNetworks()).extracting(Cidr::toString)
                .containsExactly("192.0.2.0/24", "2001:db8:0:0:0:0:0:0/32", "10.1.2.3/32");
        assertThat(c.shutdownTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.metricsListen()).isEmpty();
        assertThat(c.effective()).containsEntry("local_domains",
                "Relay.Example.COM., mail.Relay.Example.COM. example.net");
    }

    @Test
    void everyProblemIsReportedWithFileLineKeyAndWhatToDo() {
        List<String> p = problems("""
                listen = 127.0.0.1:99999
                mesage_size_limit = 50M
                this is not a setting
                shutdown_timeout = soon
                """);
        assertThat(p).containsExactly(
                "relay.conf:1: key 'listen': '127.0.0.1:99999' has a bad port '99999' (write a port from 1 to 65535)",
                "relay.conf:2: key 'mesage_size_limit': unknown key (did you mean 'max_message_size'?)",
                "relay.conf:3: 'this is not a setting' is not a 'key = value' line (write key = value, or start the line with # to make it a comment)",
                "relay.conf:4: key 'shutdown_timeout': 'soon' is not a duration (write a number with a unit: 30s, 5m, 4h, 5d)");
    }

    @Test
    void unknownKeysGetADidYouMean() {
        assertThat(problems("trusted_network = 127.0.0.1\nrelay_domain = example.org\n")).containsExactly(
                "relay.conf:1: key 'trusted_network': unknown key (did you mean 'trusted_networks'?)",
                "relay.conf:2: key 'relay_domain': unknown key (did you mean 'relay_domains'?)");
    }

    @Test
    void namesFromPostfixEximAndTheOldReadmeGetTheKeyThatDoesItHoweverFar() {
        assertThat(problems("""
                retry_max_lifetime = 5d
                retry_bounce_lifetime = 5d
                retry_host_down_time = 60s
                aliases = mx.example.org
                queue.lease = 30m
                queue.group-commit.max-messages = 512
                mynetworks = 127.0.0.0/8
                smtpd_tls_cert_file = /etc/ssl/cert.pem
                frobnication_level = 3
                """)).containsExactly(
                "relay.conf:1: key 'retry_max_lifetime': unknown key (did you mean 'max_queue_lifetime'?)",
                "relay.conf:2: key 'retry_bounce_lifetime': unknown key (did you mean 'bounce_queue_lifetime'?)",
                "relay.conf:3: key 'retry_host_down_time': unknown key (did you mean 'host_down_time'?)",
                "relay.conf:4: key 'aliases': unknown key (did you mean 'host_aliases'?)",
                "relay.conf:5: key 'queue.lease': unknown key (did you mean 'queue_lease'?)",
                "relay.conf:6: key 'queue.group-commit.max-messages': unknown key (did you mean 'queue_group_commit_max'?)",
                "relay.conf:7: key 'mynetworks': unknown key (did you mean 'trusted_networks'?)",
                "relay.conf:8: key 'smtpd_tls_cert_file': unknown key (did you mean 'tls_certificate'?)",
                "relay.conf:9: key 'frobnication_level': unknown key (see the configuration reference in the README for the keys there are)");
        assertThat(ConfigKeys.SYNONYMS.values()).allSatisfy(k -> assertThat(ConfigKeys.BY_NAME).containsKey(k));
        assertThat(ConfigKeys.SYNONYMS.keySet()).allSatisfy(k -> assertThat(ConfigKeys.BY_NAME).doesNotContainKey(k));
    }

    @Test
    void relativePathsInAFileAreTakenFromTheFilesFolderNotTheWorkingDirectory() throws Exception {
        Path etc = Files.createDirectories(dir.resolve("etc/relay"));
        Files.writeString(etc.resolve("relay.conf"), "data_directory = ../../var/relay\nmaildir_directory = mail\n");
        ConfigLoader elsewhere = new ConfigLoader(Path.of("/"), Optional.of(Path.of("/opt/relay")), () -> "mx1.example.org");
        RelayConfig c = elsewhere.load(Optional.of(etc.resolve("relay.conf")));
        assertThat(c.dataDirectory()).isEqualTo(dir.resolve("var/relay"));
        assertThat(c.adminSocket()).isEqualTo(dir.resolve("var/relay/relayctl.sock"));
        assertThat(c.maildirDirectory()).isEqualTo(etc.resolve("mail"));
    }

    @Test
    void theDefaultDataFolderIsTheInstallationsNotTheWorkingDirectory() throws Exception {
        ConfigLoader installed = new ConfigLoader(Path.of("/"), Optional.of(dir.resolve("relay-1.0")), () -> "mx1.example.org");
        Path conf = Files.writeString(dir.resolve("relay.conf"), "# nothing set\n");
        assertThat(installed.load(Optional.empty()).dataDirectory()).isEqualTo(dir.resolve("relay-1.0/data"));
        assertThat(installed.load(Optional.of(conf)).queueSettings().dataDirectory()).isEqualTo(dir.resolve("relay-1.0/data/queue"));
        assertThat(installed.load(Optional.of(conf)).adminSocket()).isEqualTo(dir.resolve("relay-1.0/data/relayctl.sock"));
    }

    @Test
    void theMetricsEndpointIsLoopbackOnlyUnlessRemoteScrapingIsAllowed() throws Exception {
        assertThat(problems("metrics_listen = 0.0.0.0:9025\n")).containsExactly(
                "relay.conf:1: key 'metrics_listen': 0.0.0.0:9025 is not a loopback address (the metrics endpoint is for this "
                        + "machine only: use 127.0.0.1:PORT or [::1]:PORT, or set metrics_allow_remote = yes to let other hosts "
                        + "scrape it (a container))");
        assertThat(load("metrics_listen = 0.0.0.0:9025\nmetrics_allow_remote = yes\n").metricsListen())
                .hasValueSatisfying(a -> assertThat(a.getAddress().isAnyLocalAddress()).isTrue());
    }

    @Test
    void implicitTlsWithoutTlsIsAConfigurationProblemNotAStartFailure() {
        assertThat(problems("tls_enabled = no\ntls_implicit_listen = 127.0.0.1:4650\n")).containsExactly(
                "relay.conf:2: key 'tls_implicit_listen': is set but tls_enabled = no (enable TLS, or set tls_implicit_listen = none)");
    }

    @Test
    void aNamedFileTheUserCannotReadIsAProblem() throws Exception {
        Path key = Files.writeString(dir.resolve("key.pem"), "x");
        Files.writeString(dir.resolve("cert.pem"), "x");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("---------"));
        org.junit.jupiter.api.Assumptions.assumeFalse(Files.isReadable(key), "root reads every file");
        assertThat(problems("tls_certificate = cert.pem\ntls_key = key.pem\n")).containsExactly(
                "relay.conf:2: key 'tls_key': " + key + " cannot be read by this user (let the relay's user read it "
                        + "(check the owner and mode), or run the check as that user)");
    }

    @Test
    void aKeySetTwiceIsAnError() {
        assertThat(problems("listen = 127.0.0.1:25\n\nlisten = 127.0.0.1:26\n"))
                .containsExactly("relay.conf:3: key 'listen': set again (first set on line 1) (keep one of the two lines)");
    }

    @Test
    void variablesMustExistAndMustNotLoop() {
        assertThat(problems("local_domains = $hostnam\n")).containsExactly(
                "relay.conf:1: key 'local_domains': refers to $hostnam, which is not a key (did you mean $hostname?)");
        assertThat(problems("data_directory = $admin_socket\n")).anySatisfy(s -> assertThat(s)
                .startsWith("relay.conf:1: key 'data_directory': refers to itself through data_directory -> $admin_socket"));
    }

    @Test
    void aDollarSignIsWrittenTwice() throws Exception {
        assertThat(load("data_directory = /srv/$$data\n").dataDirectory()).isEqualTo(Path.of("/srv/$data"));
    }

    @Test
    void badValuesOfEachType() {
        assertThat(problems("hostname = -bad-.example.org\n")).singleElement().asString()
                .contains("key 'hostname': '-bad-.example.org' is not a host name");
        assertThat(problems("trusted_networks = 192.0.2.0/33\n")).singleElement().asString()
                .contains("'192.0.2.0/33' has a bad prefix length (write a prefix length from 0 to 32)");
        assertThat(problems("trusted_networks = example.org\n")).singleElement().asString()
                .contains("'example.org' is not an IP address");
        assertThat(problems("listen = ::1:25\n")).singleElement().asString()
                .contains("an IPv6 address needs brackets (write [::1]:25)");
        assertThat(problems("listen = localhost:25\n")).singleElement().asString()
                .contains("'localhost:25' is not an IP address");
        assertThat(problems("listen =\n")).singleElement().asString()
                .contains("key 'listen': is empty");
        assertThat(problems("shutdown_timeout = 0s\n")).singleElement().asString()
                .contains("'0s' is out of range (write a duration from 1s to 1h)");
    }

    @Test
    void aLoneIndentedLineIsAnError() {
        assertThat(problems("  listen = 127.0.0.1:25\n")).containsExactly(
                "relay.conf:1: an indented line continues a value, but there is none before it (remove the leading white space)");
    }

    @Test
    void theRoutesFileDefaultsToTheOneNextToTheConfigurationAndMustExistWhenNamed() throws Exception {
        assertThat(load("").routesFile()).isEmpty();
        Files.writeString(dir.resolve("routes"), "# none\n");
        assertThat(load("").routesFile()).contains(dir.resolve("routes"));
        assertThat(problems("routes_file = /nonexistent/routes\n")).containsExactly(
                "relay.conf:1: key 'routes_file': /nonexistent/routes does not exist (create it (it may hold only comments) or set routes_file = none)");
    }

    @Test
    void theAdminSocketPathMustFitInASocketAddress() {
        String longDir = "/tmp/" + "d".repeat(120);
        assertThat(problems("data_directory = " + longDir + "\n")).singleElement().asString()
                .startsWith("relay.conf: key 'admin_socket': the path " + longDir + "/relayctl.sock is ")
                .contains("a Unix socket path may have at most 107");
    }

    @Test
    void theMetricsPortMayNotBeAListenPort() {
        assertThat(problems("listen = 127.0.0.1:9025\n")).containsExactly(
                "relay.conf: key 'metrics_listen': port 9025 is also in listen (give the metrics endpoint a port of its own)");
    }

    @Test
    void aMissingFileIsOneLine() {
        assertThatThrownBy(() -> loader().load(Optional.of(dir.resolve("nope.conf"))))
                .isInstanceOf(ConfigException.class)
                .hasMessage(dir.resolve("nope.conf") + ": no such file (check the path given with --config or RELAY_CONF)");
    }

    @Test
    void notUtf8IsOneLine() throws Exception {
        Path f = dir.resolve("latin1.conf");
        Files.write(f, new byte[] {'h', 'o', 's', 't', 'n', 'a', 'm', 'e', '=', (byte) 0xe9, '\n'});
        assertThatThrownBy(() -> loader().load(Optional.of(f))).hasMessageEndingWith("not valid UTF-8 (save the file as UTF-8)");
    }
}
