package dev.relay.dist.cli;

import static dev.relay.dist.cli.RelayctlCommandsTest.assertOneLineError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.client.routing.Dns;
import dev.relay.client.routing.DnsException;
import dev.relay.client.routing.MxRecord;
import dev.relay.client.routing.RouteTable;
import dev.relay.client.routing.Router;
import dev.relay.client.routing.RoutingSettings;
import dev.relay.client.routing.TargetResolver;
import dev.relay.dist.cli.CliFixture.Result;
import dev.relay.dist.config.ConfigLoader;
import dev.relay.mail.SourceRouteMode;
import dev.relay.queue.admin.QueueAdmin;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code relayctl routes} and {@code relayctl route ADDRESS} on the client's real Router, with a DNS that answers from a table. */
class RelayctlRoutingTest {

    static final String ROUTES = """
            # test routes
            example.org      [10.0.0.5]:25   tls=required
            .example.net     relay.example.net:2525
            """;

    /** MX and addresses for example.com only; anything else does not exist. */
    static final class TableDns implements Dns {
        @Override
        public List<MxRecord> mx(String domain) throws DnsException {
            if (domain.equals("example.com")) {
                return List.of(new MxRecord(10, "mx1.example.com"));
            }
            throw new DnsException(DnsException.Kind.NOT_FOUND, domain + ": no such domain (NXDOMAIN)", null);
        }

        @Override
        public List<InetAddress> addresses(String host) throws DnsException {
            if (host.equals("mx1.example.com")) {
                try {
                    return List.of(InetAddress.getByAddress(host, new byte[] {(byte) 192, 0, 2, 25}));
                } catch (java.net.UnknownHostException e) {
                    throw new AssertionError(e);
                }
            }
            throw new DnsException(DnsException.Kind.NOT_FOUND, host + ": no such host (NXDOMAIN)", null);
        }

        @Override
        public void close() {
        }
    }

    static CliContext context(CliRouting routing) {
        return new CliContext() {
            @Override
            public QueueAdmin queue() {
                throw new AssertionError("routing commands do not open the queue");
            }

            @Override
            public String reload() {
                throw new AssertionError();
            }

            @Override
            public Clock clock() {
                return Clock.systemUTC();
            }

            @Override
            public CliRouting routing() {
                return routing;
            }
        };
    }

    static CliRouting routing(String routes) throws Exception {
        RoutingSettings settings = new RoutingSettings("relay.test", Set.of("alias.test"), Set.of("local.test"),
                SourceRouteMode.RFC821);
        RouteTable table = RouteTable.parse(routes, "/etc/relay/routes");
        TargetResolver resolver = new TargetResolver(new TableDns(), settings.ourNames(), new Random(1), 10);
        return new CliRouting(new Router(settings, table), table, Optional.of("/etc/relay/routes"), () -> resolver);
    }

    static Result run(String... args) throws Exception {
        return CliFixture.run(context(routing(ROUTES)), "", args);
    }

    @Test
    void routesShowsTheRulesAndEveryLineOfTheTable() throws Exception {
        Result r = run("routes");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("source routes: rfc821", "our names: relay.test, alias.test",
                "local domains: local.test -> local Maildir", "route table:   /etc/relay/routes (2 lines)",
                "anything else: DNS MX of the domain (no * line)");
        assertThat(r.out()).containsPattern("example.org\\s+\\[10.0.0.5]:25 tls=required\\s+/etc/relay/routes:2")
                .containsPattern("\\.example.net\\s+relay.example.net:2525\\s+/etc/relay/routes:3");

        Result json = run("routes", "--json");
        assertThat(json.code()).isZero();
        assertThat(json.out().strip()).startsWith("{\"source_routes\":\"rfc821\"")
                .contains("{\"pattern\":\"example.org\",\"next_hop\":\"[10.0.0.5]:25\",\"mx_lookup\":false,\"tls\":\"required\"",
                        "\"line\":3}");
        RelayctlCommandsTest.assertBalancedJson(json.out().strip());
    }

    @Test
    void aDefaultRouteReplacesDns() throws Exception {
        Result r = CliFixture.run(context(routing(ROUTES + "*  [smarthost.example]:587\n")), "", "routes");
        assertThat(r.out()).doesNotContain("anything else").contains("*").contains("[smarthost.example]:587");
        Result any = CliFixture.run(context(routing(ROUTES + "*  [smarthost.example]:587\n")), "", "route", "--no-dns", "u@anywhere.test");
        assertThat(any.out()).contains("next hop: [smarthost.example]:587", "route table /etc/relay/routes:4 (* -> ");
    }

    @Test
    void routeExplainsTheRouteTableLine() throws Exception {
        Result r = run("route", "user@Example.ORG");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("address:  <user@Example.ORG>", "next hop: [10.0.0.5]:25 tls=required",
                "why:      domain example.org: route table /etc/relay/routes:2 (example.org -> [10.0.0.5]:25",
                "target:   10.0.0.5[10.0.0.5]:25");
        Result sub = run("route", "<u@mail.sub.example.net>");
        assertThat(sub.out()).contains("next hop: relay.example.net:2525", "/etc/relay/routes:3 (.example.net ->");
    }

    @Test
    void routeExplainsMxWithTheAddressesToTryOrTheDnsFailure() throws Exception {
        Result mx = run("route", "bob@example.com");
        assertThat(mx.code()).as(mx.toString()).isZero();
        assertThat(mx.out()).contains("next hop: example.com:25", "no route-table entry, DNS MX lookup of example.com",
                "target:   mx1.example.com[192.0.2.25]:25");
        Result nx = run("route", "bob@nowhere.test");
        assertThat(nx.code()).isZero();
        assertThat(nx.out()).contains("dns:      550 5.1.2");
        Result noDns = run("route", "--no-dns", "bob@example.com");
        assertThat(noDns.out()).contains("next hop: example.com:25", "dns:      not asked (--no-dns)").doesNotContain("target:");
    }

    @Test
    void routeJsonIsOneObjectWithTheDecisionAndTheTargets() throws Exception {
        Result r = run("route", "--json", "user@Example.ORG");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out().lines().toList()).singleElement().satisfies(line -> {
            RelayctlCommandsTest.assertBalancedJson(line);
            assertThat(line).contains("\"address\":\"<user@Example.ORG>\"", "\"delivery\":\"relay\"",
                    "\"next_hop\":\"[10.0.0.5]:25 tls=required\"", "\"targets\":[\"10.0.0.5[10.0.0.5]:25\"]",
                    "\"dns_error\":null");
        });
        Result nx = run("route", "bob@nowhere.test", "--json"); // options after the argument too
        assertThat(nx.out()).contains("\"dns_error\":\"550 5.1.2", "\"targets\":null");
    }

    @Test
    void routeExplainsSourceRoutesAndLocalDomains() throws Exception {
        Result sr = run("route", "<@relay.test,@hostb.example.org:u@hostc.example>");
        assertThat(sr.code()).as(sr.toString()).isZero();
        assertThat(sr.out()).contains("next hop: hostb.example.org:25", "rcpt to:  <@hostb.example.org:u@hostc.example>",
                "source route (rfc821 mode): next host hostb.example.org after removing our name(s) relay.test");
        Result local = run("route", "postmaster@local.test");
        assertThat(local.out()).contains("delivery: local Maildir of postmaster", "local domain local.test");
        Result ours = run("route", "root@alias.test");
        assertThat(ours.out()).contains("delivery: local Maildir of root");
    }

    @Test
    void badAddressesAreUsageErrorsThatSayWhatIsWrong() throws Exception {
        assertOneLineError(run("route", "user@@example.org"), 2, "'user@@example.org' is not an address", "user@domain");
        assertOneLineError(run("route", "<>"), 2, "'<>' is not an address");
        assertOneLineError(run("route"), 2, "ADDRESS");
        assertOneLineError(run("route", "a@b.example", "c@d.example"), 2);
        assertOneLineError(run("routes", "extra"), 2, "extra");
    }

    @Test
    void aRelayThatCannotShowItsRoutingSaysSo() {
        Result r = CliFixture.run(RelayctlUsageTest.NO_QUEUE, "", "routes");
        assertOneLineError(r, 1, "cannot show its routing");
    }

    @Test
    void withTheRelayStoppedRelayctlReadsTheConfiguredRouteTable(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("relay.conf");
        Files.writeString(dir.resolve("routes"), ROUTES);
        Files.writeString(conf, "data_directory = " + dir.resolve("data") + "\nhost_aliases = alias.test\n");
        Result r = main(dir, "-c", conf.toString(), "route", "--no-dns", "x@example.org");
        assertThat(r.code()).as(r.toString()).isZero();
        assertThat(r.out()).contains("next hop: [10.0.0.5]:25", "route table " + dir.resolve("routes") + ":2");
        Result routes = main(dir, "-c", conf.toString(), "routes");
        assertThat(routes.out()).contains("route table:   " + dir.resolve("routes") + " (2 lines)", "relay.test, alias.test");

        Files.writeString(dir.resolve("routes"), "example.org\n");
        Result bad = main(dir, "-c", conf.toString(), "routes");
        assertOneLineError(bad, 1, dir.resolve("routes") + ":1", "fix the route table");
    }

    static Result main(Path dir, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = RelayctlMain.run(args, null, new ConfigLoader(dir, () -> "relay.test"), Clock.systemUTC(),
                new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
