package dev.relay.client.routing;


import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.client.testing.TestDnsServer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** RFC 5321 section 5.1 against a DNS server on loopback, through Netty's resolver. */
class TargetResolverIT {

    private static TestDnsServer server;
    private static NettyDns dns;

    @BeforeAll
    static void start() throws Exception {
        server = new TestDnsServer()
                .mx("example.test", 20, "mx2.example.test").mx("example.test", 10, "mx1a.example.test")
                .mx("example.test", 10, "mx1b.example.test")
                .a("mx1a.example.test", "192.0.2.1").a("mx1b.example.test", "192.0.2.2")
                .a("mx2.example.test", "192.0.2.3", "2001:db8::3")
                .a("nomx.test", "192.0.2.9")
                .exists("noaddress.test")
                .mx("nullmx.test", 0, ".")
                .servfail("broken.test")
                .mx("tempmx.test", 10, "broken.test")
                .mx("loop.test", 10, "relay.us.test").mx("loop.test", 20, "backup.loop.test")
                .mx("backup.test", 5, "primary.backup.test").mx("backup.test", 10, "relay.us.test")
                .mx("backup.test", 20, "tertiary.backup.test")
                .a("primary.backup.test", "192.0.2.50").a("tertiary.backup.test", "192.0.2.51")
                .silent("slow.test");
        dns = new NettyDns(server.address(), Duration.ofMillis(500));
    }

    @AfterAll
    static void stop() {
        dns.close();
        server.close();
    }

    private static TargetResolver resolver(long seed) {
        return new TargetResolver(dns, Set.of("relay.us.test"), new Random(seed), 5);
    }

    @Test
    void mxByPreferenceWithEqualOnesShuffled() {
        Set<String> firsts = new HashSet<>();
        for (int seed = 0; seed < 12; seed++) {
            Resolution.Targets t = (Resolution.Targets) resolver(seed).resolve(NextHop.mx("Example.Test"));
            List<String> hosts = t.targets().stream().map(Target::hostName).toList();
            assertThat(hosts).hasSize(4);
            assertThat(hosts.subList(0, 2)).containsExactlyInAnyOrder("mx1a.example.test", "mx1b.example.test");
            assertThat(hosts.subList(2, 4)).containsOnly("mx2.example.test");
            firsts.add(hosts.get(0));
        }
        assertThat(firsts).hasSize(2);
    }

    @Test
    void targetsCarryPortAndPrintLikePostfix() {
        Resolution.Targets t = (Resolution.Targets) resolver(1).resolve(new NextHop("nomx.test", 2525, true,
                null, null, 0));
        assertThat(t.targets()).hasSize(1);
        assertThat(t.targets().get(0).toString()).isEqualTo("nomx.test[192.0.2.9]:2525");
    }

    @Test
    void directHostSkipsMxAndLiteralsSkipDns() {
        int before = server.queries();
        Resolution.Targets lit = (Resolution.Targets) resolver(1).resolve(NextHop.direct("127.0.0.1", 2525));
        assertThat(lit.targets().get(0).toString()).isEqualTo("127.0.0.1[127.0.0.1]:2525");
        assertThat(server.queries()).isEqualTo(before);
        Resolution.Targets direct = (Resolution.Targets) resolver(1).resolve(NextHop.direct("mx2.example.test", 25));
        assertThat(direct.targets()).extracting(x -> x.address().getHostAddress())
                .containsExactly("192.0.2.3", "2001:db8:0:0:0:0:0:3");
    }

    @Test
    void failures() {
        assertFailure(NextHop.mx("nxdomain.test"), 550, "5.1.2");
        assertFailure(NextHop.mx("noaddress.test"), 550, "5.1.2");
        assertFailure(NextHop.mx("nullmx.test"), 556, "5.1.10");
        assertFailure(NextHop.mx("broken.test"), 451, "4.4.3");
        assertFailure(NextHop.mx("tempmx.test"), 451, "4.4.3");
        assertFailure(NextHop.mx("slow.test"), 451, "4.4.3");
        assertFailure(NextHop.mx("loop.test"), 554, "5.4.6");
    }

    @Test
    void ourOwnMxDropsItAndEveryLessPreferredOne() {
        Resolution.Targets t = (Resolution.Targets) resolver(1).resolve(NextHop.mx("backup.test"));
        assertThat(t.targets()).extracting(Target::hostName).containsExactly("primary.backup.test");
    }

    private static void assertFailure(NextHop hop, int code, String status) {
        Resolution r = resolver(1).resolve(hop);
        assertThat(r).isInstanceOf(Resolution.Failure.class);
        Resolution.Failure f = (Resolution.Failure) r;
        assertThat(f.reply().code()).as(f.reply().toString()).isEqualTo(code);
        assertThat(f.reply().status().toString()).isEqualTo(status);
    }
}
