package dev.relay.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.mail.ParameterException.Kind;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** ESMTP parameters of MAIL and RCPT: RFC 5321 4.1.2 syntax, RFC 1870, 6152, 6531, 3461. */
class ParameterParseTest {

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
            // text                                     | size    | body     | utf8  | ret  | envid   | canonical
            "''                                         | null    | null     | false | null | null    | ''",
            "'   '                                      | null    | null     | false | null | null    | ''",
            "SIZE=1000                                  | 1000    | null     | false | null | null    | SIZE=1000",
            "size=0                                     | 0       | null     | false | null | null    | SIZE=0",
            "SIZE=007                                   | 7       | null     | false | null | null    | SIZE=7",
            "SIZE=9223372036854775807                   | 9223372036854775807 | null | false | null | null | SIZE=9223372036854775807",
            "BODY=8BITMIME                              | null    | EIGHT_BIT_MIME | false | null | null | BODY=8BITMIME",
            "body=8bitmime                              | null    | EIGHT_BIT_MIME | false | null | null | BODY=8BITMIME",
            "Body=7Bit                                  | null    | SEVEN_BIT | false | null | null   | BODY=7BIT",
            "SMTPUTF8                                   | null    | null     | true  | null | null    | SMTPUTF8",
            "smtputf8                                   | null    | null     | true  | null | null    | SMTPUTF8",
            "RET=HDRS                                   | null    | null     | false | HDRS | null    | RET=HDRS",
            "ret=full                                   | null    | null     | false | FULL | null    | RET=FULL",
            "ENVID=QQ314159                             | null    | null     | false | null | QQ314159 | ENVID=QQ314159",
            "ENVID=a+2Bb                                | null    | null     | false | null | a+2Bb   | ENVID=a+2Bb",
            "'  SIZE=5   BODY=7BIT  '                   | 5       | SEVEN_BIT | false | null | null   | SIZE=5 BODY=7BIT",
            "ENVID=x RET=HDRS SMTPUTF8 BODY=8BITMIME SIZE=12 | 12 | EIGHT_BIT_MIME | true | HDRS | x | SIZE=12 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x",
    })
    void parsesMailParameters(String text, Long size, BodyType body, boolean utf8, Ret ret, String envid,
            String canonical) throws Exception {
        MailParameters p = MailParameters.parse(text);
        assertThat(p).isEqualTo(new MailParameters(size, body, utf8, ret, envid));
        assertThat(p.toString()).isEqualTo(canonical);
        assertThat(MailParameters.parse(p.toString())).isEqualTo(p);
    }

    @Test
    void noParameters() throws Exception {
        assertThat(MailParameters.parse(null)).isEqualTo(MailParameters.NONE);
        assertThat(MailParameters.parse("")).isEqualTo(MailParameters.NONE);
        assertThat(MailParameters.NONE.toParameterList()).isEmpty();
        assertThat(RcptParameters.parse("")).isEqualTo(RcptParameters.NONE);
        assertThat(RcptParameters.NONE.toParameterList()).isEmpty();
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            // text                          | kind            | keyword  | message (substring)
            "FOO=bar                         | UNKNOWN_KEYWORD | FOO      | unknown parameter FOO",
            "X-CUSTOM                        | UNKNOWN_KEYWORD | X-CUSTOM | unknown parameter X-CUSTOM",
            "XAUTH=<>                        | UNKNOWN_KEYWORD | XAUTH    | unknown parameter XAUTH",
            "NOTIFY=NEVER                    | UNKNOWN_KEYWORD | NOTIFY   | unknown parameter NOTIFY",
            "SIZE=1 FOO                      | UNKNOWN_KEYWORD | FOO      | unknown parameter FOO",
            "SIZE                            | BAD_VALUE       | SIZE     | SIZE requires a value",
            "SIZE=                           | BAD_VALUE       | SIZE     | missing value after SIZE=",
            "SIZE=-1                         | BAD_VALUE       | SIZE     | SIZE value is not a number",
            "SIZE=+1                         | BAD_VALUE       | SIZE     | SIZE value is not a number",
            "SIZE=1k                         | BAD_VALUE       | SIZE     | SIZE value is not a number",
            "SIZE=9223372036854775808        | BAD_VALUE       | SIZE     | SIZE value too large",
            "SIZE=123456789012345678901      | BAD_VALUE       | SIZE     | SIZE value longer than 20 digits",
            "SIZE=1 SIZE=2                   | BAD_VALUE       | SIZE     | SIZE given more than once",
            "SIZE=1 size=1                   | BAD_VALUE       | size     | size given more than once",
            "BODY=BINARYMIME                 | BAD_VALUE       | BODY     | BODY must be 7BIT or 8BITMIME, not BINARYMIME",
            "BODY=8BIT                       | BAD_VALUE       | BODY     | BODY must be 7BIT or 8BITMIME",
            "BODY                            | BAD_VALUE       | BODY     | BODY requires a value",
            "SMTPUTF8=yes                    | BAD_VALUE       | SMTPUTF8 | SMTPUTF8 takes no value",
            "SMTPUTF8 SMTPUTF8               | BAD_VALUE       | SMTPUTF8 | SMTPUTF8 given more than once",
            "RET=NONE                        | BAD_VALUE       | RET      | RET must be FULL or HDRS, not NONE",
            "RET                             | BAD_VALUE       | RET      | RET requires a value",
            "ENVID=a+2                       | BAD_VALUE       | ENVID    | ENVID is not valid xtext (RFC 3461 section 4): incomplete",
            "ENVID=a+2b                      | BAD_VALUE       | ENVID    | upper-case hex digits at position 1",
            "ENVID                           | BAD_VALUE       | ENVID    | ENVID requires a value",
            "=x                              | BAD_VALUE       | ''       | missing keyword",
            "-SIZE=1                         | BAD_VALUE       | -SIZE    | bad character '-' at position 0 in parameter keyword",
            "SI_ZE=1                         | BAD_VALUE       | SI_ZE    | bad character '_' at position 2",
            "SIZE=1=2                        | BAD_VALUE       | SIZE     | bad character '=' at position 1 in value of SIZE",
            "SIZE=\u00e9                     | BAD_VALUE       | SIZE     | non-ASCII requires SMTPUTF8",
            "FOO=\u00e9                      | BAD_VALUE       | FOO      | non-ASCII requires SMTPUTF8",
            "SMTPUTF8 FOO=\u00e9             | UNKNOWN_KEYWORD | FOO      | unknown parameter FOO",
            "SMTPUTF8 RET=\u017fULL          | BAD_VALUE       | RET      | RET must be FULL or HDRS",
            "SMTPUTF8 ENVID=\u00e9           | BAD_VALUE       | ENVID    | ENVID is not valid xtext",
    })
    void rejectsMailParameters(String text, Kind kind, String keyword, String message) {
        assertThatThrownBy(() -> MailParameters.parse(text))
                .isInstanceOfSatisfying(ParameterException.class, e -> {
                    assertThat(e.kind()).isEqualTo(kind);
                    assertThat(e.keyword()).isEqualTo(keyword);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"SIZE=1\t", "BODY=8BITMIM\u0000", "RET=\rHDRS", "ENVID=a\nb",
            "SIZE=1\u007f", "SMTPUTF8 BODY=7BIT\u0085"})
    void rejectsControlsInValues(String text) {
        assertThatThrownBy(() -> MailParameters.parse(text))
                .isInstanceOfSatisfying(ParameterException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.BAD_VALUE);
                    assertThat(e.getMessage()).containsPattern("bad character U\\+00[0-9A-F]{2} at position \\d+ in value of");
                });
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
            // text                             | auth as received | submitter (decoded) | canonical
            "AUTH=<>                            | <>               | null                | AUTH=<>",
            "auth=<>                            | <>               | null                | AUTH=<>",
            "AUTH=u@example.org                 | u@example.org    | u@example.org       | AUTH=u@example.org",
            "AUTH=e+3Dmc2@example.com           | e+3Dmc2@example.com | e=mc2@example.com | AUTH=e+3Dmc2@example.com",
            "AUTH=+22a+20b+22@[192.0.2.1]       | +22a+20b+22@[192.0.2.1] | \"a b\"@[192.0.2.1] | AUTH=+22a+20b+22@[192.0.2.1]",
            "SIZE=5 Auth=u@x BODY=7BIT          | u@x              | u@x                 | SIZE=5 BODY=7BIT AUTH=u@x",
            "SMTPUTF8 AUTH=j+C3+B6@x            | j+C3+B6@x        | j\u00f6@x           | SMTPUTF8 AUTH=j+C3+B6@x",
    })
    void parsesAuthParameter(String text, String auth, String submitter, String canonical) throws Exception {
        MailParameters p = MailParameters.parse(text);
        assertThat(p.auth()).isEqualTo(auth);
        assertThat(p.authSubmitter().map(Mailbox::toString).orElse(null)).isEqualTo(submitter);
        assertThat(p.toString()).isEqualTo(canonical);
        assertThat(MailParameters.parse(p.toString())).isEqualTo(p);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            // text                      | message (substring)
            "AUTH                        | AUTH requires a value",
            "AUTH=                       | missing value after AUTH=",
            "AUTH=u                      | AUTH must be <> or an xtext-encoded mailbox: missing '@' after local part at position 1",
            "AUTH=<u@x>                  | AUTH must be <> or an xtext-encoded mailbox",
            "AUTH=<>x                    | AUTH must be <> or an xtext-encoded mailbox",
            "AUTH=u..v@x                 | consecutive dots in local part",
            "AUTH=u+2@x                  | AUTH is not valid xtext",
            "AUTH=u+2b@x                 | upper-case hex digits",
            "AUTH=j+C3+B6@x              | requires SMTPUTF8",
            "AUTH=+FF@x                  | not valid UTF-8",
            "AUTH=<> AUTH=<>             | AUTH given more than once",
    })
    void rejectsBadAuthParameter(String text, String message) {
        assertThatThrownBy(() -> MailParameters.parse(text))
                .isInstanceOfSatisfying(ParameterException.class, e -> {
                    assertThat(e.kind()).isEqualTo(Kind.BAD_VALUE);
                    assertThat(e.keyword()).isEqualToIgnoringCase("AUTH");
                    assertThat(e.getMessage()).contains(message);
                });
    }

    @Test
    void authMailboxMustFitAPath() throws Exception {
        // <mailbox> of 256 octets is the most a path may hold (RFC 5321 section 4.5.3.1.3)
        String ok = "u@" + PathParseTest.domainOf(252);
        assertThat(MailParameters.parse("AUTH=" + ok).authSubmitter()).map(Mailbox::toString).contains(ok);
        String tooLong = "u@" + PathParseTest.domainOf(253);
        assertThatThrownBy(() -> MailParameters.parse("AUTH=" + tooLong))
                .hasMessageContaining("AUTH mailbox longer than 254 octets");
        assertThat(new MailParameters(1L, null, false, null, null)).isEqualTo(new MailParameters(1L, null, false, null, null, null));
    }

    @Test
    void envidLimitIs100() throws Exception {
        assertThat(MailParameters.parse("ENVID=" + "e".repeat(100)).envid()).hasSize(100);
        assertThatThrownBy(() -> MailParameters.parse("ENVID=" + "e".repeat(101)))
                .hasMessage("ENVID longer than 100 characters");
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
            // text                                         | notify                  | orcpt                    | canonical
            "NOTIFY=NEVER                                   | NEVER                   | null                     | NOTIFY=NEVER",
            "notify=never                                   | NEVER                   | null                     | NOTIFY=NEVER",
            "NOTIFY=SUCCESS                                 | SUCCESS                 | null                     | NOTIFY=SUCCESS",
            "NOTIFY=DELAY,FAILURE,SUCCESS                   | SUCCESS FAILURE DELAY   | null                     | NOTIFY=SUCCESS,FAILURE,DELAY",
            "NOTIFY=failure,Delay                           | FAILURE DELAY           | null                     | NOTIFY=FAILURE,DELAY",
            "ORCPT=rfc822;u@example.org                     | ''                      | rfc822;u@example.org     | ORCPT=rfc822;u@example.org",
            "ORCPT=rfc822;u+2Bx@example.org                 | ''                      | rfc822;u+2Bx@example.org | ORCPT=rfc822;u+2Bx@example.org",
            "ORCPT=RFC822;u@x NOTIFY=SUCCESS,FAILURE        | SUCCESS FAILURE         | RFC822;u@x               | NOTIFY=SUCCESS,FAILURE ORCPT=RFC822;u@x",
            "ORCPT=x400;c+3DUS                              | ''                      | x400;c+3DUS              | ORCPT=x400;c+3DUS",
            "'  NOTIFY=NEVER  '                             | NEVER                   | null                     | NOTIFY=NEVER",
    })
    void parsesRcptParameters(String text, String notify, String orcpt, String canonical) throws Exception {
        RcptParameters p = RcptParameters.parse(text);
        Set<Notify> expected = EnumSet.noneOf(Notify.class);
        for (String n : notify.split(" ")) {
            if (!n.isEmpty()) {
                expected.add(Notify.valueOf(n));
            }
        }
        assertThat(p).isEqualTo(new RcptParameters(expected, orcpt));
        assertThat(p.toString()).isEqualTo(canonical);
        assertThat(RcptParameters.parse(p.toString())).isEqualTo(p);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            "SIZE=10                        | UNKNOWN_KEYWORD | SIZE   | unknown parameter SIZE",
            "XFOO                           | UNKNOWN_KEYWORD | XFOO   | unknown parameter XFOO",
            "NOTIFY                         | BAD_VALUE       | NOTIFY | NOTIFY requires a value",
            "NOTIFY=                        | BAD_VALUE       | NOTIFY | missing value",
            "NOTIFY=NEVER,SUCCESS           | BAD_VALUE       | NOTIFY | NOTIFY=NEVER cannot be combined with other values",
            "NOTIFY=DELAY,NEVER             | BAD_VALUE       | NOTIFY | NOTIFY=NEVER cannot be combined",
            "NOTIFY=SUCCESS,SUCCESS         | BAD_VALUE       | NOTIFY | NOTIFY item SUCCESS given more than once",
            "NOTIFY=SUCCESS,success         | BAD_VALUE       | NOTIFY | NOTIFY item SUCCESS given more than once",
            "NOTIFY=SUCCESS,                | BAD_VALUE       | NOTIFY | empty item in NOTIFY list",
            "NOTIFY=,DELAY                  | BAD_VALUE       | NOTIFY | empty item in NOTIFY list",
            "NOTIFY=ALWAYS                  | BAD_VALUE       | NOTIFY | NOTIFY item must be NEVER, SUCCESS, FAILURE or DELAY, not ALWAYS",
            "NOTIFY=NEVER NOTIFY=NEVER      | BAD_VALUE       | NOTIFY | NOTIFY given more than once",
            "ORCPT=u@example.org            | BAD_VALUE       | ORCPT  | ORCPT must be addr-type;address",
            "ORCPT=;u@example.org           | BAD_VALUE       | ORCPT  | ORCPT address type is empty",
            "ORCPT=rfc822;                  | BAD_VALUE       | ORCPT  | ORCPT address is empty",
            "ORCPT=rfc(822;u@x              | BAD_VALUE       | ORCPT  | bad character '(' at position 3 in ORCPT address type",
            "ORCPT=rfc822;u+4@x             | BAD_VALUE       | ORCPT  | ORCPT is not valid xtext",
            "ORCPT=rfc822;a;b+zz            | BAD_VALUE       | ORCPT  | upper-case hex digits at position 3 (after the ';' at position 6)",
            "ORCPT=rfc822;\u00e9@x          | BAD_VALUE       | ORCPT  | non-ASCII requires SMTPUTF8",
            "ORCPT=rfc822;a ORCPT=rfc822;b  | BAD_VALUE       | ORCPT  | ORCPT given more than once",
    })
    void rejectsRcptParameters(String text, Kind kind, String keyword, String message) {
        assertThatThrownBy(() -> RcptParameters.parse(text))
                .isInstanceOfSatisfying(ParameterException.class, e -> {
                    assertThat(e.kind()).isEqualTo(kind);
                    assertThat(e.keyword()).isEqualTo(keyword);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    @Test
    void orcptLimitIs500() throws Exception {
        String ok = "rfc822;" + "o".repeat(493);
        assertThat(RcptParameters.parse("ORCPT=" + ok).orcpt()).hasSize(500);
        assertThatThrownBy(() -> RcptParameters.parse("ORCPT=" + ok + "o"))
                .hasMessage("ORCPT longer than 500 characters");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "ORCPT=utf-8;j\u00f6@x.example    | true",
            "ORCPT=UTF-8;\u7528@\u4f8b        | true",
            "ORCPT=rfc822;j\u00f6@x.example   | false",
    })
    void utf8OrcptOnlyInSmtputf8Transactions(String text, boolean okWithSmtputf8) throws Exception {
        assertThatThrownBy(() -> RcptParameters.parse(text)).isInstanceOf(ParameterException.class)
                .hasMessageContaining("non-ASCII requires SMTPUTF8");
        if (okWithSmtputf8) {
            RcptParameters p = RcptParameters.parse(text, true);
            assertThat(RcptParameters.parse(p.toString(), true)).isEqualTo(p);
        } else {
            assertThatThrownBy(() -> RcptParameters.parse(text, true)).isInstanceOf(ParameterException.class)
                    .hasMessageContaining("not valid xtext");
        }
    }
}
