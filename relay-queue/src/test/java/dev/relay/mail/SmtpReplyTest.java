package dev.relay.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** SmtpReply and EnhancedStatus (RFC 3463), Printable. */
class SmtpReplyTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "null", value = {
            // code | raw lines (/ separated)                    | status | first line            | toString
            "250    | 2.0.0 Ok: queued as 4F2A                   | 2.0.0  | Ok: queued as 4F2A    | 250 2.0.0 Ok: queued as 4F2A",
            "550    | 5.1.1 <u@x>: Recipient address rejected    | 5.1.1  | <u@x>: Recipient address rejected | 550 5.1.1 <u@x>: Recipient address rejected",
            "451    | 4.3.0    try again                         | 4.3.0  | try again             | 451 4.3.0 try again",
            "250    | 2.0.0                                      | 2.0.0  | ''                    | 250 2.0.0",
            "554    | 5.01.001 leading zeros                     | 5.1.1  | leading zeros         | 554 5.1.1 leading zeros",
            "220    | mx.example ESMTP ready                     | null   | mx.example ESMTP ready | 220 mx.example ESMTP ready",
            "250    | 2.0.0Ok                                    | null   | 2.0.0Ok               | 250 2.0.0Ok",
            "550    | 6.0.0 not a class                          | null   | 6.0.0 not a class     | 550 6.0.0 not a class",
            "550    | 5.1 short                                  | null   | 5.1 short             | 550 5.1 short",
            "550    | 5.1.1111 long                              | null   | 5.1.1111 long         | 550 5.1.1111 long",
            "550    | +5.1.1 signed                              | null   | +5.1.1 signed         | 550 +5.1.1 signed",
            "250    | 2.0.0 first/second line/third              | 2.0.0  | first                 | 250 2.0.0 first second line third",
            "250    | ''                                         | null   | ''                    | 250",
    })
    void fromServer(int code, String raw, String status, String first, String printed) {
        List<String> lines = Arrays.asList(raw.split("/", -1));
        SmtpReply r = SmtpReply.fromServer(code, lines);
        assertThat(r.code()).isEqualTo(code);
        assertThat(r.status() == null ? null : r.status().toString()).isEqualTo(status);
        assertThat(r.lines().get(0)).isEqualTo(first);
        assertThat(r.lines()).hasSize(lines.size());
        assertThat(r).hasToString(printed);
    }

    @Test
    void fromServerWithoutLines() {
        SmtpReply r = SmtpReply.fromServer(250, List.of());
        assertThat(r.lines()).containsExactly("");
        assertThat(r.status()).isNull();
    }

    @Test
    void fromServerEscapesStrayLineBreaks() {
        SmtpReply r = SmtpReply.fromServer(550, List.of("5.7.1 no\r\n250 fake"));
        assertThat(r.lines()).containsExactly("no\\x0D\\x0A250 fake");
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\r\nb", "a\nb", "a\rb"})
    void linesMustNotBreak(String line) {
        assertThatThrownBy(() -> SmtpReply.of(250, null, line)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CR or LF");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "220 | true  | false | false | false",
            "250 | true  | false | false | false",
            "354 | false | true  | false | false",
            "421 | false | false | true  | false",
            "451 | false | false | true  | false",
            "550 | false | false | false | true",
            "599 | false | false | false | true",
    })
    void predicates(int code, boolean positive, boolean intermediate, boolean transientFailure, boolean permanent) {
        SmtpReply r = SmtpReply.of(code, null, "x");
        assertThat(r.isPositive()).isEqualTo(positive);
        assertThat(r.isIntermediate()).isEqualTo(intermediate);
        assertThat(r.isTransient()).isEqualTo(transientFailure);
        assertThat(r.isPermanent()).isEqualTo(permanent);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 199, 600, -250})
    void codeRange(int code) {
        assertThatThrownBy(() -> SmtpReply.of(code, null, "x")).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "2.0.0   | 2 | 0   | 0",
            "5.1.1   | 5 | 1   | 1",
            "4.7.999 | 4 | 7   | 999",
            "5.123.4 | 5 | 123 | 4",
    })
    void enhancedStatusParses(String text, int cls, int subject, int detail) {
        EnhancedStatus s = EnhancedStatus.parse(text);
        assertThat(s).isEqualTo(new EnhancedStatus(cls, subject, detail));
        assertThat(EnhancedStatus.parse(s.toString())).isEqualTo(s);
        assertThat(EnhancedStatus.parseLeading(text + " text")).isEqualTo(s);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "5.1", "5.1.1.1", "3.0.0", "1.0.0", "5.1.1000", "5.-1.1", "+5.1.1", "5.+1.1",
            "5.1.1 ", " 5.1.1", "5..1", "5.a.1", "\u0665.1.1", "5.1.\u0661"})
    void enhancedStatusRejects(String text) {
        assertThatThrownBy(() -> EnhancedStatus.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not an enhanced status code");
        if (!text.contains(" ")) {
            assertThat(EnhancedStatus.parseLeading(text + " x")).isNull();
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "1 | 0 | 0",
            "5 | 1000 | 0",
            "5 | 0 | -1",
    })
    void enhancedStatusRange(int cls, int subject, int detail) {
        assertThatThrownBy(() -> new EnhancedStatus(cls, subject, detail)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "plain                 | plain",
            "caf\u00e9             | caf\\x{E9}",
            "\ud83d\ude00          | \\x{1F600}",
            "lone\ud800            | lone\\x{D800}",
    })
    void printableEscapes(String in, String out) {
        assertThat(Printable.escape(in)).isEqualTo(out);
    }

    @Test
    void printableEscapesControls() {
        assertThat(Printable.escape("a\u0000b")).isEqualTo("a\\x00b");
        assertThat(Printable.escape("a\r\nb")).isEqualTo("a\\x0D\\x0Ab");
        assertThat(Printable.escape("nul\u0001del\u007f\t")).isEqualTo("nul\\x01del\\x7F\\x09");
    }

    @Test
    void printableCutsLongInput() {
        assertThat(Printable.escape("x".repeat(1_000_000))).hasSize(203).endsWith("...");
        assertThat(Printable.escape(null)).isEmpty();
    }
}
