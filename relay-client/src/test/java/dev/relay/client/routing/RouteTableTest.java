package dev.relay.client.routing;

import dev.relay.client.tls.TlsPolicy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouteTableTest {

    private static final String TABLE = """
            # routes for the test
            example.org      [10.0.0.5]:25   tls=required concurrency=5
            .example.org     relay.example.net:2525   # subdomains
            Sub.Example.ORG. [10.0.0.6]
            *                smarthost.example.net:587 tls=implicit auth=smarthost
            """;

    @Test
    void exactThenParentThenDefault() throws Exception {
        RouteTable t = RouteTable.parse(TABLE, "routes");
        RouteTable.Entry exact = t.lookup("EXAMPLE.org.").orElseThrow();
        assertThat(exact.nextHop()).isEqualTo(new NextHop("10.0.0.5", 25, false, TlsPolicy.REQUIRED, null, 5));
        assertThat(exact.location()).isEqualTo("routes:2");

        assertThat(t.lookup("a.b.example.org").orElseThrow().nextHop())
                .isEqualTo(new NextHop("relay.example.net", 2525, true, null, null, 0));
        assertThat(t.lookup("sub.example.org").orElseThrow().nextHop().destination()).isEqualTo("[10.0.0.6]:25");
        assertThat(t.lookup("x.sub.example.org").orElseThrow().pattern()).isEqualTo(".example.org");

        RouteTable.Entry def = t.lookup("other.net").orElseThrow();
        assertThat(def.pattern()).isEqualTo("*");
        assertThat(def.line()).isEqualTo(5);
        assertThat(def.nextHop().tls()).isEqualTo(TlsPolicy.IMPLICIT);
        assertThat(def.nextHop().auth()).isEqualTo("smarthost");
        assertThat(def.nextHop().toString()).isEqualTo("smarthost.example.net:587 tls=implicit auth=smarthost");
    }

    @Test
    void parentPatternDoesNotMatchTheDomainItself() throws Exception {
        RouteTable t = RouteTable.parse(".example.org [10.0.0.1]:25\n", "routes");
        assertThat(t.lookup("example.org")).isEmpty();
        assertThat(t.lookup("mx.example.org")).isPresent();
        assertThat(RouteTable.EMPTY.lookup("example.org")).isEmpty();
    }

    @Test
    void ipv6LiteralNextHop() throws Exception {
        RouteTable t = RouteTable.parse("v6.test [IPv6:::1]:2525\nv6b.test [::1]\n", "routes");
        assertThat(t.lookup("v6.test").orElseThrow().nextHop()).isEqualTo(NextHop.direct("::1", 2525));
        assertThat(t.lookup("v6b.test").orElseThrow().nextHop()).isEqualTo(NextHop.direct("::1", 25));
    }

    @Test
    void errorsNameFileLineAndProblem() {
        assertError("example.org\n", "routes:1: expected \"PATTERN NEXTHOP");
        assertError("\n\nexample.org [10.0.0.5:25\n", "routes:3: bad next hop \"[10.0.0.5:25\": missing \"]\"");
        assertError("example.org host:99999\n", "routes:1: bad port in next hop \"host:99999\"");
        assertError("example.org host:x\n", "routes:1: bad port");
        assertError("example.org host tls=maybe\n", "routes:1: bad tls=\"maybe\": expected none, opportunistic, required or implicit");
        assertError("example.org host concurrency=0\n", "routes:1: bad concurrency=\"0\"");
        assertError("example.org host color=red\n", "routes:1: unknown option \"color\"");
        assertError("example.org host tls\n", "routes:1: bad option \"tls\": expected NAME=VALUE");
        assertError("example.org host tls=none tls=required\n", "option \"tls\" given twice");
        assertError("bad..org host\n", "routes:1: bad pattern \"bad..org\"");
        assertError("a.org h1\n# c\nA.ORG h2\n", "routes:3: pattern \"A.ORG\" is already routed at line 1");
    }

    @Test
    void everyBadLineIsReportedNotOnlyTheFirst() {
        String text = "example.org\n"
                + "good.test [127.0.0.1]:2525\n"
                + "a.test host:99999\n"
                + "b.test host tls=maybe\n"
                + "# a comment\n"
                + "c.test host color=red\n"
                + "bad..org host\n"
                + "GOOD.test h2\n";
        assertThatThrownBy(() -> RouteTable.parse(text, "routes"))
                .isInstanceOfSatisfying(RouteTableException.class, e -> assertThat(e.problems()).satisfiesExactly(
                        p -> assertThat(p).startsWith("routes:1: expected"),
                        p -> assertThat(p).startsWith("routes:3: bad port"),
                        p -> assertThat(p).startsWith("routes:4: bad tls="),
                        p -> assertThat(p).startsWith("routes:6: unknown option"),
                        p -> assertThat(p).startsWith("routes:7: bad pattern"),
                        p -> assertThat(p).startsWith("routes:8: pattern \"GOOD.test\" is already routed at line 2")))
                .hasMessageContaining("routes:1: ").hasMessageContaining("routes:8: ");
    }

    @Test
    void loadNamesTheFile(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("routes");
        Files.writeString(f, "a.test [127.0.0.1]:2525\nb.test nohost:\n");
        assertThatThrownBy(() -> RouteTable.load(f)).isInstanceOf(RouteTableException.class)
                .hasMessageStartingWith(f + ":2: bad port");
        assertThatThrownBy(() -> RouteTable.load(dir.resolve("missing"))).isInstanceOf(RouteTableException.class)
                .hasMessageContaining("missing: cannot read the route table");
        Files.writeString(f, "a.test [127.0.0.1]:2525\n");
        assertThat(RouteTable.load(f).entries()).hasSize(1);
    }

    private static void assertError(String text, String expected) {
        assertThatThrownBy(() -> RouteTable.parse(text, "routes"))
                .isInstanceOf(RouteTableException.class)
                .hasMessageContaining(expected);
    }
}
