package dev.relay.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 3461 section 4 xtext. */
class XtextTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // decoded                 | encoded
            "user@example.org          | user@example.org",
            "a+b@example.org           | a+2Bb@example.org",
            "a=b                       | a+3Db",
            "'a b'                     | a+20b",
            "''                        | ''",
            "+                         | +2B",
            "\u00e9                    | +C3+A9",
            "\u7528                    | +E7+94+A8",
            "\ud83d\ude00              | +F0+9F+98+80",
    })
    void encodesAndDecodes(String decoded, String encoded) {
        assertThat(Xtext.encode(decoded)).isEqualTo(encoded);
        assertThat(Xtext.decode(encoded)).isEqualTo(decoded);
    }

    @org.junit.jupiter.api.Test
    void everyXcharStandsForItself() {
        StringBuilder all = new StringBuilder();
        for (char c = 33; c <= 126; c++) {
            if (c != '+' && c != '=') {
                all.append(c);
            }
        }
        assertThat(Xtext.encode(all.toString())).isEqualTo(all.toString());
        assertThat(Xtext.decode(all.toString())).isEqualTo(all.toString());
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"a\tb\r\n\u0000\u007f", "control", " ", "\u0085"})
    void encodesControls(String text) {
        assertThat(Xtext.decode(Xtext.encode(text))).isEqualTo(text);
        assertThat(Xtext.encode(text)).matches("[\\x21-\\x7e]*");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "+41+42        | AB",
            "x+0Ay         | 'x\ny'",
            "+2B+2b        | ",
    })
    void decodesEscapesOfAnyCharacter(String encoded, String decoded) {
        if (decoded == null) {
            assertThatThrownBy(() -> Xtext.decode(encoded)).isInstanceOf(IllegalArgumentException.class);
        } else {
            assertThat(Xtext.decode(encoded)).isEqualTo(decoded);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "a+                | incomplete \"+HH\" escape at position 1",
            "a+4               | incomplete \"+HH\" escape at position 1",
            "+4a               | \"+\" must be followed by two upper-case hex digits at position 0",
            "ab+G0             | \"+\" must be followed by two upper-case hex digits at position 2",
            "ab+-1             | \"+\" must be followed by two upper-case hex digits at position 2",
            "'a b'             | bad character space at position 1",
            "a=b               | bad character '=' at position 1",
            "\u00e9            | bad character U+00E9 at position 0",
            "+C3               | the \"+HH\" escapes are not valid UTF-8",
            "+FF+FE            | the \"+HH\" escapes are not valid UTF-8",
    })
    void rejectsMalformed(String xtext, String message) {
        assertThatThrownBy(() -> Xtext.decode(xtext)).isInstanceOf(IllegalArgumentException.class).hasMessage(message);
    }

    @org.junit.jupiter.api.Test
    void rejectsControls() {
        assertThatThrownBy(() -> Xtext.decode("ab\u0000")).hasMessage("bad character U+0000 at position 2");
        assertThatThrownBy(() -> Xtext.decode("a\tb")).hasMessage("bad character U+0009 at position 1");
        assertThatThrownBy(() -> Xtext.decode("a\u007f")).hasMessage("bad character U+007F at position 1");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"a\ud800", "\udc00b"})
    void refusesToEncodeLoneSurrogates(String text) {
        assertThatThrownBy(() -> Xtext.encode(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("lone surrogate");
    }
}
