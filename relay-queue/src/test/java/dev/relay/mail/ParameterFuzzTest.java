package dev.relay.mail;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Fuzzes the ESMTP parameter parser and xtext (issue 6 section 5). Properties: nothing but
 * {@link ParameterException} (or, for {@link Xtext#decode}, {@link IllegalArgumentException}) is
 * thrown; what parses prints back to text that parses to an equal value; the RFC 3461 limits
 * hold; error messages are printable (they go into a 501/555 reply).
 *
 * <p>Input layout: byte 0 holds flags, the rest is the text. Bits 0-1: 0 MAIL parameters, 1 RCPT
 * parameters, 2 RCPT parameters with SMTPUTF8, 3 xtext; bit 3: the text is UTF-16BE instead of
 * UTF-8.
 */
class ParameterFuzzTest {

    @FuzzTest(maxDuration = "5s")
    void parameters(byte[] input) {
        if (input.length == 0) {
            return;
        }
        int flags = input[0];
        int mode = flags & 3;
        String text = (flags & 8) != 0
                ? StandardCharsets.UTF_16BE.decode(ByteBuffer.wrap(input, 1, input.length - 1)).toString()
                : new String(input, 1, input.length - 1, StandardCharsets.UTF_8);
        try {
            switch (mode) {
                case 0 -> checkMail(MailParameters.parse(text));
                case 1 -> checkRcpt(RcptParameters.parse(text), false);
                case 2 -> checkRcpt(RcptParameters.parse(text, true), true);
                default -> checkXtext(text);
            }
        } catch (ParameterException e) {
            assertThat(e.kind()).isNotNull();
            assertThat(e.keyword()).isNotNull();
            assertThat(e.getMessage()).isNotBlank().doesNotContainPattern("[\\x00-\\x1f\\x7f]");
        }
    }

    private static void checkMail(MailParameters p) throws ParameterException {
        assertThat(MailParameters.parse(p.toString())).isEqualTo(p);
        assertThat(MailParameters.parse(String.join("  ", p.toParameterList()))).isEqualTo(p);
        if (p.size() != null) {
            assertThat(p.size()).isNotNegative();
        }
        if (p.envid() != null) {
            assertThat(p.envid().length()).isBetween(1, ParameterParser.MAX_ENVID);
            Xtext.decode(p.envid());
        }
        if (p.auth() != null) {
            // checked at parse time: decoding never fails, and <> is the only non-mailbox value
            assertThat(p.authSubmitter().isPresent()).isEqualTo(!p.auth().equals("<>"));
            p.authSubmitter().ifPresent(m -> assertThat(AddressParser.utf8Length(m.toString()) + 2)
                    .isLessThanOrEqualTo(AddressParser.MAX_PATH_OCTETS));
        }
    }

    private static void checkRcpt(RcptParameters p, boolean utf8) throws ParameterException {
        assertThat(RcptParameters.parse(p.toString(), utf8)).isEqualTo(p);
        if (p.notifyOn().contains(Notify.NEVER)) {
            assertThat(p.notifyOn()).containsExactly(Notify.NEVER);
        }
        if (p.orcpt() != null) {
            assertThat(p.orcpt().length()).isBetween(3, ParameterParser.MAX_ORCPT);
            assertThat(p.orcpt()).contains(";");
        }
        if (!utf8) {
            assertThat(p.toString()).matches("[\\x21-\\x7e ]*");
        }
    }

    private static void checkXtext(String text) {
        String encoded;
        try {
            encoded = Xtext.encode(text);
        } catch (IllegalArgumentException e) {
            // only a lone surrogate cannot be encoded
            assertThat(e.getMessage()).contains("lone surrogate");
            return;
        }
        assertThat(encoded).matches("[\\x21-\\x7e]*").doesNotContain("=");
        assertThat(Xtext.decode(encoded)).isEqualTo(text);
        try {
            String decoded = Xtext.decode(text);
            assertThat(Xtext.decode(Xtext.encode(decoded))).isEqualTo(decoded);
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).doesNotContainPattern("[\\x00-\\x1f\\x7f]");
        }
    }
}
