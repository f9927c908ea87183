package dev.relay.client.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;
import dev.relay.mail.SourceRouteMode;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RouterTest {

    private static final String TABLE = """
            b.test   [127.0.0.1]:2502
            c.test   [127.0.0.1]:2503
            .corp.test relay.corp.test:25 concurrency=3
            """;

    private static Router router(SourceRouteMode mode) throws Exception {
        return new Router(new RoutingSettings("A.test.", Set.of("mail.A.test"), Set.of("local.test"), mode),
                RouteTable.parse(TABLE, "routes"));
    }

    private static Path path(String local, String domain, String... route) {
        return new Path(List.of(route), new Mailbox(local, domain));
    }

    @Test
    void rfc821RemovesOurNamesAndGoesToTheFirstHostLeft() throws Exception {
        Decision d = router(SourceRouteMode.RFC821).route(path("u", "c.test", "a.test", "MAIL.a.test.", "b.test"));
        assertThat(d).isInstanceOf(Decision.Relay.class);
        Decision.Relay r = (Decision.Relay) d;
        // RFC 5321 appendix F.2: to b.test, never a shortcut to c.test.
        assertThat(r.nextHop().destination()).isEqualTo("[127.0.0.1]:2502");
        assertThat(r.forwardPath()).isEqualTo(path("u", "c.test", "b.test"));
        assertThat(r.rule().location()).isEqualTo("routes:1");
        assertThat(r.reason()).contains("next host b.test").contains("a.test,MAIL.a.test.").contains("routes:1");
    }

    @Test
    void aRouteNotStartingWithUsStillGoesToItsFirstHost() throws Exception {
        Decision.Relay r = (Decision.Relay) router(SourceRouteMode.HONOR).route(path("u", "c.test", "x.corp.test", "b.test"));
        assertThat(r.nextHop().destination()).isEqualTo("relay.corp.test:25");
        assertThat(r.nextHop().concurrency()).isEqualTo(3);
        assertThat(r.forwardPath()).isEqualTo(path("u", "c.test", "x.corp.test", "b.test"));
    }

    @Test
    void routeEndingAtUsThenTheMailboxDomainDecides() throws Exception {
        Decision.Relay r = (Decision.Relay) router(SourceRouteMode.RFC821).route(path("u", "c.test", "a.test"));
        assertThat(r.nextHop().destination()).isEqualTo("[127.0.0.1]:2503");
        assertThat(r.forwardPath()).isEqualTo(path("u", "c.test"));
        Decision local = router(SourceRouteMode.RFC821).route(path("u", "A.TEST", "a.test"));
        assertThat(local).isEqualTo(new Decision.Local(new Mailbox("u", "A.TEST"), local.reason()));
    }

    @Test
    void aLocalDomainAtTheFrontOfARouteIsRemovedAsOurNamesAre() throws Exception {
        // As the receiver's relay policy reads it: <@local.test:u@c.test> asks us to relay to c.test.
        Decision.Relay r = (Decision.Relay) router(SourceRouteMode.RFC821).route(path("u", "c.test", "Local.Test.", "b.test"));
        assertThat(r.nextHop().destination()).isEqualTo("[127.0.0.1]:2502");
        assertThat(r.forwardPath()).isEqualTo(path("u", "c.test", "b.test"));
        Decision.Relay direct = (Decision.Relay) router(SourceRouteMode.HONOR).route(path("u", "c.test", "local.test"));
        assertThat(direct.nextHop().destination()).isEqualTo("[127.0.0.1]:2503");
        assertThat(direct.forwardPath()).isEqualTo(path("u", "c.test"));
    }

    @Test
    void stripDropsTheRoute() throws Exception {
        Decision.Relay r = (Decision.Relay) router(SourceRouteMode.STRIP).route(path("u", "c.test", "a.test", "b.test"));
        assertThat(r.nextHop().destination()).isEqualTo("[127.0.0.1]:2503");
        assertThat(r.forwardPath()).isEqualTo(path("u", "c.test"));
        assertThat(r.reason()).contains("strip");
    }

    @Test
    void localDomainsAndOurNamesAreLocal() throws Exception {
        Router router = router(SourceRouteMode.RFC821);
        assertThat(router.route(path("u", "Local.Test."))).isInstanceOf(Decision.Local.class);
        assertThat(router.route(path("u", "mail.a.test"))).isInstanceOf(Decision.Local.class);
        assertThat(router.route(new Path(List.of(), new Mailbox("postmaster", null)))).isInstanceOf(Decision.Local.class);
        assertThat(router.route(path("u", "local.test", "b.test"))).isInstanceOf(Decision.Relay.class);
    }

    @Test
    void dnsWhenNoRouteAndAddressLiterals() throws Exception {
        Router router = router(SourceRouteMode.RFC821);
        Decision.Relay mx = (Decision.Relay) router.route(path("u", "Example.ORG"));
        assertThat(mx.nextHop()).isEqualTo(NextHop.mx("example.org"));
        assertThat(mx.rule()).isNull();
        assertThat(mx.reason()).contains("DNS MX lookup of example.org");
        Decision.Relay lit = (Decision.Relay) router.route(path("u", "[192.0.2.1]"));
        assertThat(lit.nextHop()).isEqualTo(NextHop.direct("192.0.2.1", 25));
        Decision.Relay lit6 = (Decision.Relay) router.route(path("u", "[IPv6:2001:db8::1]"));
        assertThat(lit6.nextHop().host()).isEqualTo("2001:db8::1");
    }

    @Test
    void reversePathPerMode() throws Exception {
        Path s = path("s", "src.test");
        Path routed = path("u", "c.test", "a.test", "b.test");
        Path plain = path("u", "c.test");
        assertThat(router(SourceRouteMode.RFC821).outgoingReversePath(s, routed))
                .isEqualTo(path("s", "src.test", "a.test"));
        assertThat(router(SourceRouteMode.RFC821).outgoingReversePath(path("s", "src.test", "x.test"), routed))
                .isEqualTo(path("s", "src.test", "a.test", "x.test"));
        assertThat(router(SourceRouteMode.RFC821).outgoingReversePath(Path.NULL, routed)).isEqualTo(Path.NULL);
        assertThat(router(SourceRouteMode.HONOR).outgoingReversePath(s, routed)).isEqualTo(s);
        assertThat(router(SourceRouteMode.STRIP).outgoingReversePath(s, routed)).isEqualTo(s);
        assertThat(router(SourceRouteMode.HONOR).outgoingReversePath(path("s", "src.test", "x.test"), routed))
                .isEqualTo(path("s", "src.test", "x.test"));
        assertThat(router(SourceRouteMode.STRIP).outgoingReversePath(path("s", "src.test", "x.test"), plain))
                .isEqualTo(s);
        assertThat(router(SourceRouteMode.STRIP).outgoingReversePath(Path.NULL, routed)).isEqualTo(Path.NULL);
    }

    /**
     * RFC 821 section 3.6 grows the reverse-path only when a relay acts on a
     * source route; mail whose forward-path had none leaves with its reverse-path as received
     * (RFC 5321 section 3.6.1), in every mode but strip, which only ever removes routes.
     */
    @Test
    void plainMailKeepsItsReversePathInEveryModeButStrip() throws Exception {
        Path plain = path("u", "c.test");
        Path ourRoute = path("u", "c.test", "a.test");
        for (Path from : List.of(path("s", "src.test"), path("S.Mixed", "Src.Test"), path("s", "src.test", "x.test"),
                new Path(List.of(), new Mailbox("john smith", "src.test")), Path.NULL)) {
            for (SourceRouteMode mode : List.of(SourceRouteMode.RFC821, SourceRouteMode.HONOR,
                    SourceRouteMode.REJECT)) {
                assertThat(router(mode).outgoingReversePath(from, plain)).as("%s in %s mode", from, mode)
                        .isSameAs(from);
            }
            assertThat(router(SourceRouteMode.STRIP).outgoingReversePath(from, plain)).isEqualTo(from.withoutRoute());
        }
        // a route that only named us was acted on too: we removed ourselves from it (RFC 821 section 4.1.1)
        assertThat(router(SourceRouteMode.RFC821).outgoingReversePath(path("s", "src.test"), ourRoute))
                .isEqualTo(path("s", "src.test", "a.test"));
    }
}
