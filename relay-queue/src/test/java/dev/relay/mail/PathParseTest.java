package dev.relay.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 5321 section 4.1.2 paths: what parses to what, what fails where, and round trips. */
class PathParseTest {

    private static final String L64 = "a".repeat(64);
    private static final String L63 = "b".repeat(63);
    /** 4 labels of 63 + 3 dots = 255 octets. */
    private static final String D255 = L63 + "." + L63 + "." + L63 + "." + L63;

    static Stream<Arguments> validForwardPaths() {
        return Stream.of(
                // text, route (| separated), local part (decoded), domain
                Arguments.of("<user@example.org>", "", "user", "example.org"),
                Arguments.of("<USER@Example.ORG>", "", "USER", "Example.ORG"),
                Arguments.of("<a.b.c@x.y>", "", "a.b.c", "x.y"),
                Arguments.of("<!#$%&'*+-/=?^_`{|}~@x>", "", "!#$%&'*+-/=?^_`{|}~", "x"),
                Arguments.of("<u@localhost>", "", "u", "localhost"),
                Arguments.of("<u@123>", "", "u", "123"),
                Arguments.of("<u@a-b.c-d.e>", "", "u", "a-b.c-d.e"),
                Arguments.of("<u@a--b.example>", "", "u", "a--b.example"),
                Arguments.of("<u@xn--bcher-kva.example>", "", "u", "xn--bcher-kva.example"),
                Arguments.of("<\"a b\"@x.org>", "", "a b", "x.org"),
                Arguments.of("<\"a\\\"b\"@x.org>", "", "a\"b", "x.org"),
                Arguments.of("<\"a\\\\b\"@x.org>", "", "a\\b", "x.org"),
                Arguments.of("<\"\\a\"@x.org>", "", "a", "x.org"),
                Arguments.of("<\"\"@x.org>", "", "", "x.org"),
                Arguments.of("<\"a..b\"@x.org>", "", "a..b", "x.org"),
                Arguments.of("<\".a\"@x.org>", "", ".a", "x.org"),
                Arguments.of("<\"a.\"@x.org>", "", "a.", "x.org"),
                Arguments.of("<\"a>b\"@x.org>", "", "a>b", "x.org"),
                Arguments.of("<\"a@b\"@x.org>", "", "a@b", "x.org"),
                Arguments.of("<\"u@outside.example\"@ourdomain>", "", "u@outside.example", "ourdomain"),
                Arguments.of("<\"abc\"@x.org>", "", "abc", "x.org"),
                Arguments.of("<\" \"@x.org>", "", " ", "x.org"),
                Arguments.of("<u%outside.example@ourdomain>", "", "u%outside.example", "ourdomain"),
                Arguments.of("<outside.example!u@ourdomain>", "", "outside.example!u", "ourdomain"),
                Arguments.of("<u@[192.0.2.1]>", "", "u", "[192.0.2.1]"),
                Arguments.of("<u@[0.0.0.0]>", "", "u", "[0.0.0.0]"),
                Arguments.of("<u@[255.255.255.255]>", "", "u", "[255.255.255.255]"),
                Arguments.of("<u@[001.02.3.004]>", "", "u", "[001.02.3.004]"),
                Arguments.of("<u@[IPv6:2001:db8::1]>", "", "u", "[IPv6:2001:db8::1]"),
                Arguments.of("<u@[ipv6:2001:DB8::1]>", "", "u", "[ipv6:2001:DB8::1]"),
                Arguments.of("<u@[IPv6:1:2:3:4:5:6:7:8]>", "", "u", "[IPv6:1:2:3:4:5:6:7:8]"),
                Arguments.of("<u@[IPv6:::]>", "", "u", "[IPv6:::]"),
                Arguments.of("<u@[IPv6:::1]>", "", "u", "[IPv6:::1]"),
                Arguments.of("<u@[IPv6:1::]>", "", "u", "[IPv6:1::]"),
                Arguments.of("<u@[IPv6:1:2:3::6:7:8]>", "", "u", "[IPv6:1:2:3::6:7:8]"),
                Arguments.of("<u@[IPv6:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]>", "", "u", "[IPv6:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]"),
                Arguments.of("<u@[IPv6:1:2:3:4:5:6:192.0.2.1]>", "", "u", "[IPv6:1:2:3:4:5:6:192.0.2.1]"),
                Arguments.of("<u@[IPv6:::ffff:192.0.2.1]>", "", "u", "[IPv6:::ffff:192.0.2.1]"),
                Arguments.of("<u@[IPv6:::192.0.2.1]>", "", "u", "[IPv6:::192.0.2.1]"),
                Arguments.of("<u@[IPv6:1:2:3:4::192.0.2.1]>", "", "u", "[IPv6:1:2:3:4::192.0.2.1]"),
                Arguments.of("<u@[IPv6:1::2:3:192.0.2.1]>", "", "u", "[IPv6:1::2:3:192.0.2.1]"),
                Arguments.of("<u@[x400:c=US;a=x]>", "", "u", "[x400:c=US;a=x]"),
                Arguments.of("<u@[tag-1:anything.goes/here]>", "", "u", "[tag-1:anything.goes/here]"),
                Arguments.of("<@a:u@c>", "a", "u", "c"),
                Arguments.of("<@hostA,@hostB:user@hostC>", "hostA|hostB", "user", "hostC"),
                Arguments.of("<@a.x,@b.y,@c.z,@d.w:u@e>", "a.x|b.y|c.z|d.w", "u", "e"),
                Arguments.of("<@HOSTA.ARPA,@HOSTB.ARPA:USERC@HOSTD.ARPA>", "HOSTA.ARPA|HOSTB.ARPA", "USERC", "HOSTD.ARPA"),
                Arguments.of("<@ourdomain:u@outside.example>", "ourdomain", "u", "outside.example"),
                Arguments.of("<@a:\"q u\"@[192.0.2.1]>", "a", "q u", "[192.0.2.1]"),
                Arguments.of("<@a:postmaster@b>", "a", "postmaster", "b"),
                Arguments.of("<postmaster>", "", "postmaster", null),
                Arguments.of("<Postmaster>", "", "Postmaster", null),
                Arguments.of("<POSTMASTER>", "", "POSTMASTER", null),
                Arguments.of("<Postmaster@example.org>", "", "Postmaster", "example.org"),
                Arguments.of("<" + L64 + "@x>", "", L64, "x"),
                Arguments.of("<u@" + L63 + ">", "", "u", L63));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validForwardPaths")
    void parsesValidForwardPaths(String text, String route, String localPart, String domain) throws Exception {
        Path p = Path.parseForwardPath(text, false);
        assertThat(p.route()).containsExactlyElementsOf(route.isEmpty() ? List.of() : Arrays.asList(route.split("\\|")));
        assertThat(p.mailbox().localPart()).isEqualTo(localPart);
        assertThat(p.mailbox().domain()).isEqualTo(domain);
        assertThat(Path.parse(text)).isEqualTo(p);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validForwardPaths")
    void roundTrips(String text) throws Exception {
        Path p = Path.parse(text);
        String printed = p.toString();
        assertThat(Path.parse(printed)).isEqualTo(p);
        assertThat(Path.parse(printed).toString()).isEqualTo(printed);
        assertThat(printed.length()).isLessThanOrEqualTo(text.length());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
            // received                            | printed
            "<user@example.org>                    | <user@example.org>",
            "<\"abc\"@x.org>                       | <abc@x.org>",
            "<\"a.b\"@x.org>                       | <a.b@x.org>",
            "<\"\\a\\b\"@x.org>                    | <ab@x.org>",
            "<\"a b\"@x.org>                       | <\"a b\"@x.org>",
            "<\"a\\\"b\"@x.org>                    | <\"a\\\"b\"@x.org>",
            "<\"a\\\\b\"@x.org>                    | <\"a\\\\b\"@x.org>",
            "<\"a..b\"@x.org>                      | <\"a..b\"@x.org>",
            "<\".a\"@x.org>                        | <\".a\"@x.org>",
            "<\"\"@x.org>                          | <\"\"@x.org>",
            "<\"a,b\"@x.org>                       | <\"a,b\"@x.org>",
            "<@a,@b:u@c>                           | <@a,@b:u@c>",
            "<@a:\"x y\"@[IPv6:::1]>               | <@a:\"x y\"@[IPv6:::1]>",
            "<>                                    | <>",
            "<PostMaster>                          | <PostMaster>",
    })
    void printsCanonically(String received, String printed) throws Exception {
        assertThat(Path.parse(received).toString()).isEqualTo(printed);
    }

    static Stream<Arguments> invalidForwardPaths() {
        return Stream.of(
                // text, reason (substring), position
                Arguments.of("", "missing path", 0),
                Arguments.of("user@example.org", "missing '<'", 0),
                Arguments.of(" <u@x>", "missing '<'", 0),
                Arguments.of("<user@example.org", "missing '>'", 17),
                Arguments.of("<u@x> ", "trailing characters after '>'", 5),
                Arguments.of("<u@x>SIZE=1", "trailing characters after '>'", 5),
                Arguments.of("<u@x>>", "trailing characters after '>'", 5),
                Arguments.of("<>", "null path <> not allowed in a forward-path", 1),
                Arguments.of("<@x>", "route without mailbox", 3),
                Arguments.of("<@a:>", "route without mailbox", 4),
                Arguments.of("<@a,@b:>", "route without mailbox", 7),
                Arguments.of("<@a,@b>", "route without mailbox", 6),
                Arguments.of("<@a,b:u@c>", "expected '@' before a source route host", 4),
                Arguments.of("<@:u@c>", "empty host in source route", 2),
                Arguments.of("<@a,:u@c>", "expected '@' before a source route host", 4),
                Arguments.of("<@a,@:u@c>", "empty host in source route", 5),
                Arguments.of("<@a;u@c>", "unexpected ';' in source route", 3),
                Arguments.of("<@[192.0.2.1]:u@c>", "address literal not allowed in a source route", 2),
                Arguments.of("<@a.:u@c>", "domain ends with '.'", 3),
                Arguments.of("<@-a:u@c>", "domain label starts with '-'", 2),
                Arguments.of("<u>", "missing '@' after local part", 2),
                Arguments.of("<u@>", "empty domain", 3),
                Arguments.of("<@>", "empty host in source route", 2),
                Arguments.of("<.u@x>", "dot at start of local part", 1),
                Arguments.of("<u.@x>", "dot at end of local part", 2),
                Arguments.of("<u.>", "dot at end of local part", 2),
                Arguments.of("<ab..c@x>", "consecutive dots in local part", 4),
                Arguments.of("<a...b@x>", "consecutive dots in local part", 3),
                Arguments.of("<a b@x>", "bad character space in local part", 2),
                Arguments.of("<a(b@x>", "bad character '(' in local part", 2),
                Arguments.of("<a,b@x>", "bad character ',' in local part", 2),
                Arguments.of("<a\"b\"@x>", "bad character '\"' in local part", 2),
                Arguments.of("<\"ab\"c@x>", "bad character 'c' in local part", 5),
                Arguments.of("<a\u0000b@x>", "bad character U+0000 in local part", 2),
                Arguments.of("<u@outside.example@ourdomain>", "unexpected '@' where '>' should end the path", 18),
                Arguments.of("<\"abc@x>", "unterminated quoted string", 1),
                Arguments.of("<\"abc\\", "unterminated quoted string", 1),
                Arguments.of("<\"a\tb\"@x>", "bad character U+0009 in quoted string", 3),
                Arguments.of("<\"a\\\u0001\"@x>", "bad character U+0001 after backslash in quoted string", 4),
                Arguments.of("<u@x.>", "domain ends with '.'", 4),
                Arguments.of("<u@.x>", "domain starts with '.'", 3),
                Arguments.of("<u@a..b>", "empty domain label (consecutive dots)", 5),
                Arguments.of("<u@-a.b>", "domain label starts with '-'", 3),
                Arguments.of("<u@a-.b>", "domain label ends with '-'", 4),
                Arguments.of("<u@a.b->", "domain label ends with '-'", 6),
                Arguments.of("<u@a_b>", "unexpected '_' where '>' should end the path", 4),
                Arguments.of("<u@!x>", "bad character '!' in domain", 3),
                Arguments.of("<u@" + "c".repeat(64) + ">", "domain label longer than 63 octets", 3),
                Arguments.of("<u@[192.0.2.1>", "bad address literal: missing ']'", 3),
                Arguments.of("<u@[]>", "bad address literal: empty", 4),
                Arguments.of("<u@[256.0.0.1]>", "bad address literal: not an IPv4 address", 4),
                Arguments.of("<u@[1.2.3]>", "bad address literal: not an IPv4 address", 4),
                Arguments.of("<u@[1.2.3.4.5]>", "bad address literal: not an IPv4 address", 4),
                Arguments.of("<u@[1.2.3.0004]>", "bad address literal: not an IPv4 address", 4),
                Arguments.of("<u@[1..2.3]>", "bad address literal: not an IPv4 address", 4),
                Arguments.of("<u@[example.org]>", "bad address literal: not an IPv4 address", 4),
                Arguments.of("<u@[1.2.3.4 ]>", "bad address literal: bad character space", 11),
                Arguments.of("<u@[1.2.3.4]x>", "unexpected 'x' where '>' should end the path", 12),
                Arguments.of("<u@[IPv6:1:2:3:4:5:6:7]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:1:2:3:4:5:6:7:8:9]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:1::2::3]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:12345::]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:g::1]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:1:2:3:4:5:6:7::]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6::1]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:1:]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:1.2.3.4]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:1:2:3:4:5:6:7:1.2.3.4]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:1:2:3:4:5::1.2.3.4]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:::1.2.3.256]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:::1.2.3]>", "not an IPv6 address", 9),
                Arguments.of("<u@[IPv6:::ffff:1.2.3.4:1]>", "not an IPv6 address", 9),
                Arguments.of("<u@[tag-:x]>", "bad address literal: bad tag", 4),
                Arguments.of("<u@[t_g:x]>", "bad address literal: bad tag", 4),
                Arguments.of("<u@[:x]>", "bad address literal: bad tag", 4),
                Arguments.of("<u@[tag:]>", "bad address literal: empty after tag", 8),
                Arguments.of("<u@[a[b]>", "bad address literal: bad character '['", 5),
                Arguments.of("<u@[a\\b]>", "bad address literal: bad character '\\'", 5),
                Arguments.of("<" + L64 + "a@x>", "local part longer than 64 octets", 1),
                Arguments.of("<\"" + "a".repeat(63) + "\"@x>", "local part longer than 64 octets", 1),
                Arguments.of("<u@" + D255 + ".c>", "domain longer than 255 octets", 3),
                Arguments.of("<@" + D255 + ".c:u@x>", "path longer than 256 octets", -1),
                Arguments.of("<u@" + D255 + ">", "path longer than 256 octets", 259),
                Arguments.of("<@" + L63 + "," + "@" + L63 + ",@" + L63 + ",@" + L63 + ":u@x>", "path longer than 256 octets", -1),
                Arguments.of("<@a:postmaster>", "missing '@' after local part", 14),
                Arguments.of("<postmaster >", "bad character space in local part", 11),
                Arguments.of("<postmasterx>", "missing '@' after local part", 12),
                Arguments.of("<jos\u00e9@x>", "non-ASCII character U+00E9 in local part requires SMTPUTF8", 4),
                Arguments.of("<\"jos\u00e9\"@x>", "non-ASCII character U+00E9 in quoted string requires SMTPUTF8", 5),
                Arguments.of("<u@b\u00fccher.example>", "non-ASCII character U+00FC in domain requires SMTPUTF8", 4),
                Arguments.of("<@b\u00fccher.example:u@x>", "non-ASCII character U+00FC in domain requires SMTPUTF8", 3),
                Arguments.of("<u@[IPv6:\u0661::1]>", "bad address literal: bad character U+0661", 9));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("invalidForwardPaths")
    void rejectsInvalidForwardPaths(String text, String reason, int position) {
        assertThatThrownBy(() -> Path.parseForwardPath(text, false))
                .isInstanceOfSatisfying(AddressException.class, e -> {
                    assertThat(e.reason()).contains(reason);
                    assertThat(e.input()).isEqualTo(text);
                    if (position >= 0) {
                        assertThat(e.position()).as("position").isEqualTo(position);
                    }
                    assertThat(e.getMessage()).contains(reason).contains(" at position " + e.position());
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"<>", "<u@x>", "<@a,@b:u@c>", "<Postmaster@x>", "<\"a b\"@[192.0.2.1]>"})
    void reversePathAcceptsNullAndPaths(String text) throws Exception {
        assertThat(Path.parseReversePath(text, false).toString()).isEqualTo(Path.parse(text).toString());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "<postmaster>  | <postmaster> without a domain is only allowed in a forward-path",
            "<POSTMASTER>  | <postmaster> without a domain is only allowed in a forward-path",
            "<>x           | trailing characters after '>'",
            "<             | missing '>'",
            "<u@x          | missing '>'",
            "u@x           | missing '<'",
    })
    void reversePathRejects(String text, String reason) {
        assertThatThrownBy(() -> Path.parseReversePath(text, false))
                .isInstanceOfSatisfying(AddressException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "<jos\u00e9@example.org>                    | jos\u00e9     | example.org",
            "<\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a>   | \u7528\u6237  | \u4f8b\u5b50.\u5e7f\u544a",
            "<u@b\u00fccher.example>                    | u             | b\u00fccher.example",
            "<\"j\u00f6 e\"@x>                           | j\u00f6 e      | x",
            "<@m\u00fcnchen.de:u@x>                     | u             | x",
            "<\ud83d\ude00@x>                           | \ud83d\ude00  | x",
            "<\u00e9.\u00e8@x>                          | \u00e9.\u00e8 | x",
    })
    void utf8OnlyWithSmtputf8(String text, String localPart, String domain) throws Exception {
        Path p = Path.parseForwardPath(text, true);
        assertThat(p.mailbox().localPart()).isEqualTo(localPart);
        assertThat(p.mailbox().domain()).isEqualTo(domain);
        assertThat(Path.parse(p.toString())).isEqualTo(p);
        assertThatThrownBy(() -> Path.parseForwardPath(text, false))
                .isInstanceOfSatisfying(AddressException.class,
                        e -> assertThat(e.reason()).startsWith("non-ASCII character").endsWith("requires SMTPUTF8"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "<a\ud800@x>                  | invalid character U+D800 in local part",
            "<a\udc00b@x>                 | invalid character U+DC00 in local part",
            "<a\u0085b@x>                 | invalid character U+0085 in local part",
            "<u@a\u3002b>                 | bad internationalized domain label",
            "<u@a\u00a0b>                 | bad internationalized domain label",
            "<\"a\ud800\"@x>              | invalid character U+D800 in quoted string",
            "<\"\\\u00e9\"@x>             | bad character U+00E9 after backslash in quoted string",
    })
    void rejectsBadUtf8EvenWithSmtputf8(String text, String reason) {
        assertThatThrownBy(() -> Path.parseForwardPath(text, true))
                .isInstanceOfSatisfying(AddressException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // 64 octets of local part: 32 two-octet characters pass, 33 do not
            "32 | true",
            "33 | false",
    })
    void limitsCountUtf8Octets(int chars, boolean ok) {
        String text = "<" + "\u00e9".repeat(chars) + "@x>";
        if (ok) {
            assertThat(catchParse(text)).isNull();
        } else {
            assertThat(catchParse(text)).isNotNull().extracting(AddressException::reason)
                    .isEqualTo("local part longer than 64 octets");
        }
    }

    private static AddressException catchParse(String text) {
        try {
            Path.parseForwardPath(text, true);
            return null;
        } catch (AddressException e) {
            return e;
        }
    }

    /** A domain of {@code octets} octets made of labels of at most 63. */
    static String domainOf(int octets) {
        StringBuilder d = new StringBuilder();
        while (d.length() < octets) {
            if (d.length() > 0) {
                d.append('.');
            }
            d.append("d".repeat(Math.max(1, Math.min(63, octets - d.length()))));
        }
        return d.toString();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // path octets | route | ok
            "256 | ''      | true",
            "257 | ''      | false",
            "256 | '@r:'   | true",
            "257 | '@r:'   | false",
            "256 | '@r,@s:' | true",
            "257 | '@r,@s:' | false",
    })
    void pathLimitIs256OctetsIncludingBrackets(int octets, String route, boolean ok) {
        String text = "<" + route + "u@" + domainOf(octets - 4 - route.length()) + ">";
        assertThat(text).hasSize(octets);
        AddressException e = catchParse(text);
        if (ok) {
            assertThat(e).isNull();
        } else {
            assertThat(e).isNotNull().extracting(AddressException::reason).isEqualTo("path longer than 256 octets");
        }
    }
}
