package dev.relay.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The RFC 821 section 3.6 relaying operations on paths. */
class PathRelayingTest {

    /** RFC 821 section 4.1.1, the worked example of relay host A. */
    @Test
    void rfc821WorkedExample() throws Exception {
        Path from = Path.parseReversePath("<USERX@HOSTY.ARPA>", false);
        Path to = Path.parseForwardPath("<@HOSTA.ARPA,@HOSTB.ARPA:USERC@HOSTD.ARPA>", false);

        assertThat(to.firstHost()).contains("HOSTA.ARPA");
        Path nextTo = to.withoutFirstHost();
        Path nextFrom = from.withHostPrepended(to.firstHost().orElseThrow());

        assertThat(nextFrom).hasToString("<@HOSTA.ARPA:USERX@HOSTY.ARPA>");
        assertThat(nextTo).hasToString("<@HOSTB.ARPA:USERC@HOSTD.ARPA>");
        assertThat(nextTo.firstHost()).contains("HOSTB.ARPA");
        // and at B, the last relay, the route is used up
        assertThat(nextTo.withoutFirstHost()).hasToString("<USERC@HOSTD.ARPA>");
        assertThat(nextFrom.withHostPrepended("HOSTB.ARPA")).hasToString("<@HOSTB.ARPA,@HOSTA.ARPA:USERX@HOSTY.ARPA>");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // path                           | firstHost | withoutFirstHost        | withoutRoute
            "<@a:u@c>                         | a         | <u@c>                   | <u@c>",
            "<@a,@b:u@c>                      | a         | <@b:u@c>                | <u@c>",
            "<@a,@b,@c,@d:\"x y\"@e>          | a         | <@b,@c,@d:\"x y\"@e>    | <\"x y\"@e>",
            "<@Relay.Example:u@[192.0.2.1]>   | Relay.Example | <u@[192.0.2.1]>     | <u@[192.0.2.1]>",
    })
    void routeOperations(String text, String first, String without, String noRoute) throws Exception {
        Path p = Path.parse(text);
        assertThat(p.hasRoute()).isTrue();
        assertThat(p.firstHost()).contains(first);
        assertThat(p.withoutFirstHost()).hasToString(without);
        assertThat(p.withoutRoute()).hasToString(noRoute);
        assertThat(p.withoutFirstHost().withHostPrepended(first)).isEqualTo(p);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "<u@c>         | me.example | <@me.example:u@c>",
            "<@a:u@c>      | me.example | <@me.example,@a:u@c>",
            "<>            | me.example | <>",
            "<postmaster>  | me.example | <@me.example:postmaster>",
    })
    void prepend(String text, String host, String expected) throws Exception {
        Path p = Path.parse(text);
        assertThat(p.withHostPrepended(host)).hasToString(expected);
    }

    @Test
    void nullPathStaysNull() {
        assertThat(Path.NULL.withHostPrepended("me.example")).isSameAs(Path.NULL);
        assertThat(Path.NULL.isNull()).isTrue();
        assertThat(Path.NULL.firstHost()).isEmpty();
        assertThat(Path.NULL.withoutRoute()).isSameAs(Path.NULL);
        assertThatThrownBy(Path.NULL::withoutFirstHost).isInstanceOf(IllegalStateException.class);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "<u@c>   | no route in <u@c>",
            "<>      | no route in <>",
    })
    void withoutFirstHostNeedsARoute(String text, String message) throws Exception {
        Path p = Path.parse(text);
        assertThat(p.firstHost()).isEmpty();
        assertThatThrownBy(p::withoutFirstHost).isInstanceOf(IllegalStateException.class).hasMessage(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''                | not a domain name",
            "a..b              | not a domain name",
            "[192.0.2.1]       | not a domain name",
            "a b               | not a domain name",
            "host.             | not a domain name",
            "-host             | not a domain name",
    })
    void prependRejectsWhatCannotBePrintedBack(String host, String message) throws Exception {
        Path p = Path.parse("<u@c>");
        assertThatThrownBy(() -> p.withHostPrepended(host)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void prependRejectsAPathOverTheLimit() throws Exception {
        Path p = Path.parse("<u@" + PathParseTest.domainOf(249) + ">");
        assertThat(p.toString()).hasSize(253);
        assertThatThrownBy(() -> p.withHostPrepended("ab")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("longer than 256 octets");
        assertThat(Path.parse(p.withHostPrepended("a").toString())).isEqualTo(p.withHostPrepended("a"));
    }

    @Test
    void nullPathWithRouteIsNotAValue() {
        assertThatThrownBy(() -> new Path(java.util.List.of("a"), null)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "<u@Example.ORG>       | example.org",
            "<u@example.org>       | example.org",
            "<u@[IPv6:DB8::1]>     | [ipv6:db8::1]",
            "<postmaster>          | ",
    })
    void normalizedDomain(String text, String expected) throws Exception {
        Mailbox m = Path.parse(text).mailbox();
        assertThat(m.normalizedDomain()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "Example.ORG.  | example.org",
            "example.org   | example.org",
            "A.B..         | a.b.",
            "MX            | mx",
    })
    void normalizeDomainDropsOneTrailingDot(String domain, String expected) {
        assertThat(AddressParser.normalizeDomain(domain)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "<postmaster>          | true  | false",
            "<PostMaster@x>        | true  | false",
            "<post.master@x>       | false | false",
            "<u@[192.0.2.1]>       | false | true",
            "<u@[IPv6:::1]>        | false | true",
            "<u@x>                 | false | false",
    })
    void mailboxPredicates(String text, boolean postmaster, boolean literal) throws Exception {
        Mailbox m = Path.parse(text).mailbox();
        assertThat(m.isPostmaster()).isEqualTo(postmaster);
        assertThat(m.isAddressLiteral()).isEqualTo(literal);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "u@x                    | true",
            "\"a b\"@x              | true",
            "u                      | false",
            "<u@x>                  | false",
            "u@x                    | true",
            "u@x y                  | false",
            "u@x.                   | false",
    })
    void mailboxParse(String text, boolean ok) {
        try {
            Mailbox m = Mailbox.parse(text, false);
            assertThat(ok).isTrue();
            assertThat(Mailbox.parse(m.toString(), false)).isEqualTo(m);
        } catch (AddressException e) {
            assertThat(ok).as(e.getMessage()).isFalse();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // argument                        | end index
            "<u@x>                             | 5",
            "<u@x> SIZE=10                     | 5",
            "<> BODY=8BITMIME                  | 2",
            "<\"a> b\"@x> NOTIFY=NEVER         | 10",
            "<\"a\\\"> b\"@x> X                | 12",
            "<u@x                              | -1",
            "u@x>                              | -1",
            "''                                | -1",
            "<\"a>                             | -1",
            "<u@[tag:a>b]> SIZE=1               | 13",
            "<u@[tag:a>b> SIZE=1                | -1",
            "<@a:\"q>\"@[IPv6:::1]>             | 20",
    })
    void endIndexSkipsQuotedStrings(String argument, int end) {
        assertThat(Path.endIndex(argument)).isEqualTo(end);
    }
}
