package dev.relay.mail;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the path and mailbox parser (issue 6 section 5). Properties: nothing but
 * {@link AddressException} is ever thrown; what parses prints back to text that parses to an equal
 * value; the RFC 5321 4.5.3.1 limits and the SMTPUTF8 rule hold for every accepted value; an
 * error's position lies inside the input and its message is printable (it goes into a 501 reply).
 *
 * <p>Input layout (so that corpus files can be written by hand): byte 0 holds flags, the rest is
 * the text. Flag bit 0: SMTPUTF8; bits 1-2: 0 forward-path, 1 reverse-path, 2 {@link Path#parse},
 * 3 {@link Mailbox#parse}; bit 3: the text is UTF-16BE (which can carry lone surrogates) instead
 * of UTF-8.
 *
 * <p>In the normal build this replays {@code AddressFuzzTestInputs/paths/} and then fuzzes for a
 * few seconds (surefire execution "fuzz" in the parent POM); {@code -Pfuzz} fuzzes longer.
 */
class AddressFuzzTest {

    @FuzzTest(maxDuration = "5s")
    void paths(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int flags = input[0];
        boolean smtputf8 = (flags & 1) != 0;
        int mode = (flags >> 1) & 3;
        String text = (flags & 8) != 0
                ? StandardCharsets.UTF_16BE.decode(ByteBuffer.wrap(input, 1, input.length - 1)).toString()
                : new String(input, 1, input.length - 1, StandardCharsets.UTF_8);
        try {
            if (mode == 3) {
                checkMailbox(Mailbox.parse(text, smtputf8), smtputf8);
            } else {
                Path p = switch (mode) {
                    case 0 -> Path.parseForwardPath(text, smtputf8);
                    case 1 -> Path.parseReversePath(text, smtputf8);
                    default -> Path.parse(text);
                };
                checkPath(p, text, mode, mode == 2 || smtputf8);
            }
        } catch (AddressException e) {
            assertThat(e.input()).isEqualTo(text);
            assertThat(e.position()).isBetween(0, text.length());
            assertThat(e.reason()).isNotBlank();
            assertThat(e.getMessage()).doesNotContainPattern("[\\x00-\\x1f\\x7f]");
        }
        // never throws, whatever the text
        int end = Path.endIndex(text);
        assertThat(end).isBetween(-1, text.length());
    }

    private static void checkPath(Path p, String text, int mode, boolean utf8) throws AddressException {
        String printed = p.toString();
        assertThat(Path.parse(printed)).isEqualTo(p);
        // canonical text is never longer than what was received, so it passes the same parser
        Path again = switch (mode) {
            case 0 -> Path.parseForwardPath(printed, utf8);
            case 1 -> Path.parseReversePath(printed, utf8);
            default -> Path.parse(printed);
        };
        assertThat(again).isEqualTo(p);
        assertThat(Path.endIndex(text)).isEqualTo(text.length());
        assertThat(Path.endIndex(printed)).isEqualTo(printed.length());
        assertThat(AddressParser.utf8Length(printed)).isLessThanOrEqualTo(AddressParser.MAX_PATH_OCTETS);
        if (p.isNull()) {
            assertThat(mode).isNotEqualTo(0);
            assertThat(printed).isEqualTo("<>");
            return;
        }
        if (p.mailbox().domain() == null) {
            assertThat(mode).isNotEqualTo(1);
            assertThat(p.mailbox().localPart()).isEqualToIgnoringCase("postmaster");
            assertThat(p.route()).isEmpty();
        } else {
            checkMailbox(p.mailbox(), utf8);
        }
        for (String host : p.route()) {
            assertThat(host).doesNotStartWith("[").doesNotEndWith(".");
            checkLabels(host);
        }
        if (!utf8) {
            assertThat(printed).matches("[\\x20-\\x7e]*");
        }
    }

    private static void checkMailbox(Mailbox m, boolean utf8) throws AddressException {
        String lp = AddressParser.formatLocalPart(m.localPart());
        assertThat(AddressParser.utf8Length(lp)).isLessThanOrEqualTo(AddressParser.MAX_LOCAL_PART_OCTETS);
        assertThat(AddressParser.utf8Length(m.domain())).isLessThanOrEqualTo(AddressParser.MAX_DOMAIN_OCTETS);
        assertThat(Mailbox.parse(m.toString(), utf8)).isEqualTo(m);
        if (!m.isAddressLiteral()) {
            checkLabels(m.domain());
        }
        if (!utf8) {
            assertThat(m.toString()).matches("[\\x20-\\x7e]*");
        }
        assertThat(m.normalizedDomain()).isNotNull();
    }

    private static void checkLabels(String domain) {
        for (String label : domain.split("\\.", -1)) {
            assertThat(label).isNotEmpty().doesNotStartWith("-").doesNotEndWith("-");
            if (label.chars().allMatch(c -> c < 0x80)) {
                assertThat(label.length()).isLessThanOrEqualTo(AddressParser.MAX_LABEL_OCTETS);
            }
        }
    }
}
