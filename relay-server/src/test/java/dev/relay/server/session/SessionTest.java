package dev.relay.server.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.mail.Notify;
import dev.relay.mail.Path;
import dev.relay.mail.SourceRouteMode;
import dev.relay.queue.QueueException;
import dev.relay.server.BareLineEnds;
import dev.relay.server.LocalRecipients;
import dev.relay.server.ServerSettings;
import dev.relay.server.command.CommandTable;
import dev.relay.server.session.HandlerNames;
import dev.relay.server.testing.InMemoryQueue;
import dev.relay.server.testing.SmtpTestChannel;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Transcript tests of the session on an EmbeddedChannel: every command, reply and state
 * transition (RFC 5321 section 4.1.4 command order, the EHLO extensions, relay policy, limits), each ending with what reached the queue.
 */
class SessionTest {
    static final String UNTRUSTED = "192.0.2.7";
    static final String TRUSTED = "127.0.0.1";

    @TempDir
    java.nio.file.Path spool;

    private final InMemoryQueue queue = new InMemoryQueue(InMemoryQueue.Mode.IMMEDIATE);
    private SmtpTestChannel ch;

    private ServerSettings.Builder settings() {
        return ServerSettings.builder()
                .hostName("relay.example.org")
                .hostAliases(List.of("mx.example.org"))
                .localDomains(Set.of("example.org"))
                .relayDomains(Set.of("partner.example.net", ".sub.example.net"))
                .spoolDirectory(spool);
    }

    private SmtpTestChannel open(ServerSettings s, String ip) {
        ch = SmtpTestChannel.open(s, queue, ip);
        return ch;
    }

    private SmtpTestChannel open(String ip) {
        return open(settings().build(), ip);
    }

    /** Opens and says EHLO. */
    private SmtpTestChannel ehlo(String ip) {
        open(ip);
        assertThat(ch.output()).isEqualTo("220 relay.example.org ESMTP\r\n");
        assertThat(ch.send("EHLO client.example\r\n")).startsWith("250-relay.example.org\r\n");
        return ch;
    }

    @AfterEach
    void close() {
        if (ch != null) {
            ch.finishAndReleaseAll();
        }
        queue.close();
    }

    @Test
    void greetingAndEhloAdvertiseOnlyWhatIsImplemented() {
        open(TRUSTED);
        assertThat(ch.output()).isEqualTo("220 relay.example.org ESMTP\r\n");
        assertThat(ch.send("EHLO client.example\r\n")).isEqualTo(
                "250-relay.example.org\r\n"
                        + "250-PIPELINING\r\n"
                        + "250-SIZE 52428800\r\n"
                        + "250-8BITMIME\r\n"
                        + "250-ENHANCEDSTATUSCODES\r\n"
                        + "250-SMTPUTF8\r\n"
                        + "250 DSN\r\n");
    }

    @Test
    void heloAnswersWithoutExtensionsOrEnhancedCodes() {
        open(TRUSTED);
        ch.output();
        assertThat(ch.send("HELO client.example\r\n")).isEqualTo("250 relay.example.org\r\n");
        assertThat(ch.send("NOOP\r\n")).isEqualTo("250 Ok\r\n");
        assertThat(ch.send("MAIL FROM:<a@example.com> SIZE=10\r\n")).startsWith("555 Unsupported parameter: SIZE");
        assertThat(ch.send("MAIL FROM:<a@example.com>\r\n")).isEqualTo("250 Ok\r\n");
    }

    @Test
    void helloNeedsAnArgument() {
        open(TRUSTED);
        ch.output();
        assertThat(ch.send("EHLO\r\n")).isEqualTo("501 Syntax: EHLO hostname\r\n");
        assertThat(ch.send("HELO\r\n")).isEqualTo("501 Syntax: HELO hostname\r\n");
    }

    @Test
    void aWholeTransactionReachesTheQueueWithAReceivedHeader() {
        ehlo(UNTRUSTED);
        assertThat(ch.send("MAIL FROM:<sender@example.com>\r\n")).isEqualTo("250 2.1.0 Ok\r\n");
        assertThat(ch.send("RCPT TO:<user@example.org>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("DATA\r\n")).isEqualTo("354 End data with <CR><LF>.<CR><LF>\r\n");
        assertThat(ch.send("Subject: hi\r\n\r\n..dot\r\nbody\r\n.\r\n")).isEqualTo("250 2.0.0 Ok: queued as TEST000001\r\n");
        assertThat(ch.send("QUIT\r\n")).isEqualTo("221 2.0.0 Bye\r\n");
        assertThat(ch.isOpen()).isFalse();

        InMemoryQueue.Stored m = queue.only();
        assertThat(m.id().value()).isEqualTo("TEST000001");
        assertThat(m.envelope().reversePath().toString()).isEqualTo("<sender@example.com>");
        assertThat(m.envelope().recipients()).extracting(r -> r.forwardPath().toString()).containsExactly("<user@example.org>");
        assertThat(m.envelope().origin().clientAddress()).isEqualTo(UNTRUSTED);
        assertThat(m.envelope().origin().heloName()).isEqualTo("client.example");
        assertThat(m.envelope().origin().protocol()).isEqualTo("ESMTP");
        assertThat(m.envelope().origin().arrival()).isEqualTo(SmtpTestChannel.CLOCK.instant());
        assertThat(m.receivedHeader()).isEqualTo(
                "Received: from client.example ([192.0.2.7])\r\n"
                        + "\tby relay.example.org with ESMTP id TEST000001\r\n"
                        + "\tfor <user@example.org>; Sun, 29 Nov 2026 03:38:24 +0000\r\n");
        assertThat(new String(m.bodyWithoutReceived(), StandardCharsets.ISO_8859_1)).isEqualTo("Subject: hi\r\n\r\n.dot\r\nbody\r\n");
        assertThat(ch.meters.counter("relay.server.messages.accepted").count()).isEqualTo(1.0);
    }

    @Test
    void receivedHasNoForClauseWithSeveralRecipientsAndSaysSmtpAfterHelo() {
        open(TRUSTED);
        ch.output();
        ch.send("HELO old.example\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n");
        assertThat(ch.send("x\r\n.\r\n")).isEqualTo("250 Ok: queued as TEST000001\r\n");
        InMemoryQueue.Stored m = queue.only();
        assertThat(m.receivedHeader()).isEqualTo(
                "Received: from old.example ([127.0.0.1])\r\n"
                        + "\tby relay.example.org with SMTP id TEST000001; Sun, 29 Nov 2026 03:38:24 +0000\r\n");
        assertThat(m.envelope().reversePath().isNull()).isTrue();
        assertThat(m.envelope().origin().protocol()).isEqualTo("SMTP");
    }

    @Test
    void pipelinedTransactionInOneWriteIsAnsweredInOrderInOneFlush() {
        ehlo(TRUSTED);
        String out = ch.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@elsewhere.example>\r\n"
                + "RCPT TO:<bad\r\nDATA\r\nline\r\n.\r\nQUIT\r\n");
        assertThat(out).isEqualTo("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
                + out.split("\r\n")[3] + "\r\n"
                + "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as TEST000001\r\n221 2.0.0 Bye\r\n");
        assertThat(out.split("\r\n")[3]).startsWith("501 5.1.3 Bad recipient address syntax: ");
        assertThat(queue.only().envelope().recipients()).hasSize(2);
        assertThat(queue.only().bodyWithoutReceived()).isEqualTo("line\r\n".getBytes());
    }

    @Test
    void twoPipelinedTransactionsWithTheQueueHeldAnswerOnlyAfterEachIsStored() {
        queue.mode(InMemoryQueue.Mode.HOLD);
        ehlo(TRUSTED);
        String out = ch.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\none\r\n.\r\n"
                + "MAIL FROM:<c@example.com>\r\nRCPT TO:<d@example.org>\r\nDATA\r\ntwo\r\n.\r\nQUIT\r\n");
        assertThat(out).isEqualTo("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
        assertThat(ch.config().isAutoRead()).as("no reading while storing").isFalse();
        assertThat(queue.stored()).isEmpty();
        queue.releaseHeld();
        assertThat(ch.output()).isEqualTo("250 2.0.0 Ok: queued as TEST000001\r\n"
                + "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n");
        assertThat(ch.config().isAutoRead()).isFalse();
        queue.releaseHeld();
        assertThat(ch.output()).isEqualTo("250 2.0.0 Ok: queued as TEST000002\r\n221 2.0.0 Bye\r\n");
        assertThat(queue.stored()).extracting(InMemoryQueue.Stored::bodyWithoutReceived)
                .containsExactly("one\r\n".getBytes(), "two\r\n".getBytes());
    }

    @Test
    void simpleCommands() {
        open(settings().maxErrors(20).build(), TRUSTED);
        ch.output();
        ch.send("EHLO client.example\r\n");
        assertThat(ch.send("NOOP\r\n")).isEqualTo("250 2.0.0 Ok\r\n");
        assertThat(ch.send("noop with argument\r\n")).isEqualTo("250 2.0.0 Ok\r\n");
        assertThat(ch.send("RSET\r\n")).isEqualTo("250 2.0.0 Ok\r\n");
        assertThat(ch.send("RSET x\r\n")).isEqualTo("501 5.5.4 Syntax error: no arguments allowed\r\n");
        assertThat(ch.send("VRFY root\r\n")).isEqualTo("252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery\r\n");
        assertThat(ch.send("VRFY\r\n")).isEqualTo("501 5.5.4 Syntax: VRFY address\r\n");
        assertThat(ch.send("EXPN staff\r\n")).isEqualTo("502 5.5.1 Error: EXPN is not available\r\n");
        assertThat(ch.send("HELP\r\n")).isEqualTo("214-2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP\r\n214 2.0.0 See RFC 5321\r\n");
        assertThat(ch.send("TURN\r\n")).isEqualTo("502 5.5.1 Error: TURN is not supported\r\n");
        assertThat(ch.send("SEND FROM:<a@b.c>\r\n")).isEqualTo("502 5.5.1 Error: command not implemented\r\n");
        assertThat(ch.send("SOML FROM:<a@b.c>\r\n")).isEqualTo("502 5.5.1 Error: command not implemented\r\n");
        assertThat(ch.send("SAML FROM:<a@b.c>\r\n")).isEqualTo("502 5.5.1 Error: command not implemented\r\n");
        assertThat(ch.send("BDAT 10 LAST\r\n")).isEqualTo("502 5.5.1 Error: command not implemented\r\n");
        assertThat(ch.send("XYZZY\r\n")).isEqualTo("500 5.5.1 Error: command not recognized\r\n");
        assertThat(ch.send("\r\n")).isEqualTo("500 5.5.1 Error: command not recognized\r\n");
        assertThat(ch.send("QUIT now\r\n")).isEqualTo("501 5.5.4 Syntax error: no arguments allowed\r\n");
        assertThat(ch.send("quit\r\n")).isEqualTo("221 2.0.0 Bye\r\n");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void nothingIsReadAfterQuit() {
        ehlo(TRUSTED);
        assertThat(ch.send("QUIT\r\nNOOP\r\n")).isEqualTo("221 2.0.0 Bye\r\n");
    }

    @Test
    void badSequences() {
        open(TRUSTED);
        ch.output();
        assertThat(ch.send("MAIL FROM:<a@example.com>\r\n")).isEqualTo("503 Error: send HELO/EHLO first\r\n");
        ch.send("EHLO c\r\n");
        assertThat(ch.send("RCPT TO:<a@example.org>\r\n")).isEqualTo("503 5.5.1 Error: need MAIL command\r\n");
        assertThat(ch.send("DATA\r\n")).isEqualTo("503 5.5.1 Error: need MAIL command\r\n");
        assertThat(ch.send("MAIL FROM:<a@example.com>\r\n")).isEqualTo("250 2.1.0 Ok\r\n");
        assertThat(ch.send("MAIL FROM:<a@example.com>\r\n")).isEqualTo("503 5.5.1 Error: nested MAIL command\r\n");
        assertThat(ch.send("DATA\r\n")).isEqualTo("503 5.5.1 Error: need RCPT command\r\n");
        assertThat(ch.send("DATA now\r\n")).isEqualTo("501 5.5.4 Syntax error: no arguments allowed\r\n");
        // RSET and EHLO end the transaction (RFC 5321 4.1.4)
        assertThat(ch.send("RSET\r\nRCPT TO:<a@example.org>\r\n")).isEqualTo("250 2.0.0 Ok\r\n503 5.5.1 Error: need MAIL command\r\n");
        ch.send("MAIL FROM:<a@example.com>\r\n");
        ch.send("EHLO again\r\n");
        assertThat(ch.send("RCPT TO:<a@example.org>\r\n")).isEqualTo("503 5.5.1 Error: need MAIL command\r\n");
        assertThat(queue.enqueues()).isZero();
    }

    @Test
    void syntaxErrorsInMailAndRcpt() {
        ehlo(TRUSTED);
        assertThat(ch.send("MAIL\r\n")).isEqualTo("501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
        assertThat(ch.send("MAIL TO:<a@b.example>\r\n")).isEqualTo("501 5.5.4 Syntax: MAIL FROM:<address>\r\n");
        assertThat(ch.send("MAIL FROM:<a b@example.com>\r\n")).startsWith("501 5.1.7 Bad sender address syntax: ");
        assertThat(ch.send("MAIL FROM:<a@example.com> FOO=bar\r\n")).isEqualTo("555 5.5.4 Unsupported parameter: FOO\r\n");
        assertThat(ch.send("MAIL FROM:<a@example.com> SIZE=abc\r\n")).startsWith("501 5.5.4 Bad parameter: ");
        assertThat(ch.send("MAIL FROM:<a@example.com> SIZE=52428801\r\n")).isEqualTo("552 5.3.4 Error: message size exceeds fixed limit\r\n");
        assertThat(ch.send("mail from:<a@example.com> size=52428800 body=8bitmime\r\n")).isEqualTo("250 2.1.0 Ok\r\n");
        assertThat(ch.send("RCPT\r\n")).isEqualTo("501 5.5.4 Syntax: RCPT TO:<address>\r\n");
        assertThat(ch.send("RCPT TO:<>\r\n")).startsWith("501 5.1.3 Bad recipient address syntax: ");
        assertThat(ch.send("RCPT TO:<a@example.org> BAR\r\n")).isEqualTo("555 5.5.4 Unsupported parameter: BAR\r\n");
        assertThat(ch.send("RCPT TO:<a@example.org> NOTIFY=SOMETIMES\r\n")).startsWith("501 5.5.4 Bad parameter: ");
        assertThat(ch.send("rcpt to:<a@example.org>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
    }

    @Test
    void pathsOfEveryFormTheParserAccepts() {
        ehlo(TRUSTED);
        assertThat(ch.send("MAIL FROM:<@a.example,@b.example:s@c.example> RET=HDRS ENVID=QQ314159\r\n")).isEqualTo("250 2.1.0 Ok\r\n");
        assertThat(ch.send("RCPT TO:<postmaster>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<@relay.example.org,@next.example:u@far.example> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;u@far.example\r\n"))
                .isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<\"quoted > string\"@example.org>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO: <space-after-colon@example.org>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        ch.send("DATA\r\n");
        assertThat(ch.send(".\r\n")).isEqualTo("250 2.0.0 Ok: queued as TEST000001\r\n");
        var env = queue.only().envelope();
        assertThat(env.reversePath().route()).containsExactly("a.example", "b.example");
        assertThat(env.parameters().envid()).isEqualTo("QQ314159");
        assertThat(env.recipients()).extracting(r -> r.forwardPath().toString()).containsExactly(
                "<postmaster>", "<@relay.example.org,@next.example:u@far.example>",
                "<\"quoted > string\"@example.org>", "<space-after-colon@example.org>");
        assertThat(env.recipients().get(1).parameters().notifyOn()).containsExactlyInAnyOrder(Notify.SUCCESS, Notify.FAILURE);
        assertThat(env.recipients().get(1).parameters().orcpt()).isEqualTo("rfc822;u@far.example");
        assertThat(queue.only().receivedHeader()).doesNotContain("for <");
    }

    @Test
    void smtputf8AddressesNeedTheParameter() throws Exception {
        ehlo(TRUSTED);
        assertThat(ch.send("MAIL FROM:<j\u00f6rg@example.com>\r\n".getBytes(StandardCharsets.UTF_8))).startsWith("501 5.1.7");
        assertThat(ch.send("MAIL FROM:<j\u00f6rg@example.com> SMTPUTF8\r\n".getBytes(StandardCharsets.UTF_8))).isEqualTo("250 2.1.0 Ok\r\n");
        assertThat(ch.send("RCPT TO:<\u00fcser@example.org>\r\n".getBytes(StandardCharsets.UTF_8))).isEqualTo("250 2.1.5 Ok\r\n");
        ch.send("DATA\r\n");
        assertThat(ch.send("x\r\n.\r\n")).startsWith("250 2.0.0");
        assertThat(queue.only().envelope().origin().protocol()).isEqualTo("UTF8SMTP");
        assertThat(queue.only().envelope().recipients().get(0).forwardPath()).isEqualTo(Path.parse("<\u00fcser@example.org>"));
    }

    @Test
    void recipientLimitGives452AndKeepsTheEarlierRecipients() {
        open(settings().maxRecipients(100).build(), TRUSTED);
        ch.output();
        ch.send("EHLO c\r\nMAIL FROM:<a@example.com>\r\n");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 101; i++) {
            b.append("RCPT TO:<u").append(i).append("@example.org>\r\n");
        }
        String out = ch.send(b.toString());
        assertThat(out.split("\r\n")).hasSize(101);
        assertThat(out).endsWith("250 2.1.5 Ok\r\n452 4.5.3 Error: too many recipients\r\n");
        ch.send("DATA\r\n");
        assertThat(ch.send("x\r\n.\r\n")).startsWith("250 2.0.0");
        assertThat(queue.only().envelope().recipients()).hasSize(100);
    }

    @Test
    void relayPolicyForAnUntrustedClient() {
        LocalRecipients known = mb -> mb.localPart().equals("known") || mb.localPart().contains("%") || mb.localPart().contains("!");
        // more refusals than the default error limit of one session
        ch = SmtpTestChannel.open(settings().maxErrors(100).build(), queue, UNTRUSTED, known,
                CommandTable.standard().build());
        ch.output();
        ch.send("EHLO c\r\nMAIL FROM:<a@example.com>\r\n");
        assertThat(ch.send("RCPT TO:<u@elsewhere.example>\r\n")).isEqualTo("554 5.7.1 <u@elsewhere.example>: Relay access denied\r\n");
        assertThat(ch.send("RCPT TO:<u@[192.0.2.1]>\r\n")).isEqualTo("554 5.7.1 <u@[192.0.2.1]>: Relay access denied\r\n");
        assertThat(ch.send("RCPT TO:<known@example.org>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<known@EXAMPLE.ORG>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        // a trailing dot is not RFC 5321 Domain syntax: refused by the parser, never relayed
        assertThat(ch.send("RCPT TO:<known@example.org.>\r\n")).startsWith("501 5.1.3 ");
        assertThat(ch.send("RCPT TO:<nobody@example.org>\r\n"))
                .isEqualTo("550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown in local recipient table\r\n");
        assertThat(ch.send("RCPT TO:<postmaster@example.org>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<postmaster>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<u@partner.example.net>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<u@a.sub.example.net>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<u@sub.example.net>\r\n")).isEqualTo("554 5.7.1 <u@sub.example.net>: Relay access denied\r\n");
        // RFC 5321 section 3.6.1: % and ! in a local part, and @ inside quotes, ask for routing: a relay request, refused
        // (Postfix: allow_untrusted_routing = no), also where the local-recipient table would say yes
        assertThat(ch.send("RCPT TO:<u%elsewhere.example@example.org>\r\n"))
                .isEqualTo("554 5.7.1 <u%elsewhere.example@example.org>: Relay access denied\r\n");
        assertThat(ch.send("RCPT TO:<elsewhere.example!u@example.org>\r\n")).startsWith("554 5.7.1 ");
        assertThat(ch.send("RCPT TO:<\"u@elsewhere.example\"@example.org>\r\n"))
                .isEqualTo("554 5.7.1 <\"u@elsewhere.example\"@example.org>: Relay access denied\r\n");
        assertThat(ch.send("RCPT TO:<u%elsewhere.example@partner.example.net>\r\n")).startsWith("554 5.7.1 ");
        // a source route is a relay request: every host of it, and the mailbox's domain, must be ours to accept
        assertThat(ch.send("RCPT TO:<@relay.example.org,@MX.example.org:known@example.org>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<@relay.example.org,@evil.example:known@example.org>\r\n"))
                .isEqualTo("554 5.7.1 <@relay.example.org,@evil.example:known@example.org>: Relay access denied\r\n");
        assertThat(ch.send("RCPT TO:<@evil.example:known@example.org>\r\n")).startsWith("554 5.7.1");
        // RFC 5321 section 3.6.1 and 7.9: through a relay domain (or us) to the outside is refused, not only the first host counts
        assertThat(ch.send("RCPT TO:<@partner.example.net:u@elsewhere.example>\r\n"))
                .isEqualTo("554 5.7.1 <@partner.example.net:u@elsewhere.example>: Relay access denied\r\n");
        assertThat(ch.send("RCPT TO:<@relay.example.org:u@elsewhere.example>\r\n")).startsWith("554 5.7.1 ");
        assertThat(ch.send("RCPT TO:<@partner.example.net,@evil.example:u@partner.example.net>\r\n"))
                .startsWith("554 5.7.1 ");
        // every host ours to accept: a relay domain in the route, a relay domain or a local user at the end
        assertThat(ch.send("RCPT TO:<@partner.example.net:u@a.sub.example.net>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<@partner.example.net:known@example.org>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        // RFC 5321 4.1.2: At-domain is "@" Domain, so an address literal in a route is a syntax error
        assertThat(ch.send("RCPT TO:<@[192.0.2.1]:u@example.org>\r\n")).startsWith("501 5.1.3 ");
        assertThat(ch.meters.counter("relay.server.recipients.refused", "reason", "relay").count()).isEqualTo(12.0);
        assertThat(ch.meters.counter("relay.server.recipients.refused", "reason", "unknown-user").count()).isEqualTo(1.0);
    }

    @Test
    void aTrustedClientMayRelayAnywhereAndToAddressLiterals() {
        ehlo(TRUSTED);
        ch.send("MAIL FROM:<a@example.com>\r\n");
        assertThat(ch.send("RCPT TO:<u@elsewhere.example>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<u@[192.0.2.1]>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<@evil.example:u@example.org>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        // source routes: the whole route is not checked for a trusted client (it keeps today's behaviour)
        assertThat(ch.send("RCPT TO:<@partner.example.net:u@elsewhere.example>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<u%elsewhere.example@partner.example.net>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
    }

    /**
     * RFC 5321 section 3.6.1: a local part with a routing operator never names a local mailbox, even for
     * a trusted client and a local-recipient table that accepts every name: 550 5.1.1 at RCPT, never
     * a Maildir named {@code u%elsewhere.example}.
     */
    @Test
    void routingOperatorsInALocalPartNeverNameALocalMailbox() {
        ch = SmtpTestChannel.open(settings().build(), queue, TRUSTED, LocalRecipients.ACCEPT_ALL,
                CommandTable.standard().build());
        ch.output();
        ch.send("EHLO c\r\nMAIL FROM:<a@example.com>\r\n");
        assertThat(ch.send("RCPT TO:<u%elsewhere.example@example.org>\r\n")).isEqualTo("550 5.1.1 <u%elsewhere.example"
                + "@example.org>: Recipient address rejected: User unknown in local recipient table\r\n");
        assertThat(ch.send("RCPT TO:<elsewhere.example!u@example.org>\r\n")).startsWith("550 5.1.1 ");
        assertThat(ch.send("RCPT TO:<\"u@elsewhere.example\"@example.org>\r\n")).startsWith("550 5.1.1 ");
        assertThat(ch.send("RCPT TO:<@relay.example.org:u%elsewhere.example@example.org>\r\n"))
                .startsWith("550 5.1.1 ");
        assertThat(ch.send("RCPT TO:<anyone@example.org>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<u%elsewhere.example@elsewhere.example>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
    }

    @Test
    void sourceRouteRejectMode() {
        open(settings().sourceRouteMode(SourceRouteMode.REJECT).build(), TRUSTED);
        ch.output();
        ch.send("EHLO c\r\nMAIL FROM:<a@example.com>\r\n");
        assertThat(ch.send("RCPT TO:<@relay.example.org:u@example.org>\r\n"))
                .isEqualTo("550 5.7.1 <@relay.example.org:u@example.org>: Source routes are not accepted\r\n");
        assertThat(ch.send("RCPT TO:<u@example.org>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
    }

    @Test
    void overlongCommandLineGets500AndTheSessionGoesOn() {
        ehlo(TRUSTED);
        assertThat(ch.send("NOOP " + "x".repeat(600) + "\r\nNOOP\r\n")).isEqualTo("500 5.5.2 Error: line too long\r\n250 2.0.0 Ok\r\n");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void tooManyErrorsEndsTheSessionWith421() {
        ehlo(TRUSTED);
        for (int i = 0; i < 10; i++) {
            assertThat(ch.send("BOGUS\r\n")).isEqualTo("500 5.5.1 Error: command not recognized\r\n");
        }
        assertThat(ch.send("BOGUS\r\nNOOP\r\n")).isEqualTo("421 4.7.0 Error: too many errors, closing transmission channel\r\n");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void bareLfCommandsAreRefusedInRejectMode() {
        open(settings().bareLineEnds(BareLineEnds.REJECT).build(), TRUSTED);
        ch.output();
        assertThat(ch.send("EHLO c\n")).isEqualTo("500 Error: bare <LF> received, commands end with <CR><LF>\r\n");
        assertThat(ch.send("EHLO c\r\n")).startsWith("250-");
    }

    private String dataTransaction(String content) {
        ch.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\n");
        assertThat(ch.send("DATA\r\n")).startsWith("354 ");
        return ch.send(content);
    }

    @Test
    void messageOverTheSizeLimitIsRefusedAndNotStored() {
        open(settings().maxMessageSize(70_000).build(), TRUSTED);
        ch.output();
        ch.send("EHLO c\r\n");
        String line = "x".repeat(98) + "\r\n";
        assertThat(dataTransaction(line.repeat(701) + ".\r\n")).isEqualTo("552 5.3.4 Error: message size exceeds fixed limit\r\n");
        assertThat(queue.enqueues()).isZero();
        assertThat(dataTransaction(line.repeat(700) + ".\r\n")).startsWith("250 2.0.0");
        assertThat(ch.meters.counter("relay.server.messages.refused", "reason", "size").count()).isEqualTo(1.0);
    }

    @Test
    void overlongTextLineIsRefusedAtTheEndOfData() {
        ehlo(TRUSTED);
        assertThat(dataTransaction("x".repeat(1001) + "\r\n.\r\nNOOP\r\n"))
                .isEqualTo("500 5.5.2 Error: message refused, a text line is too long\r\n250 2.0.0 Ok\r\n");
        assertThat(queue.enqueues()).isZero();
    }

    @Test
    void tooManyReceivedHeadersIsALoop() {
        ehlo(TRUSTED);
        String h = "Received: from x by y; Sun, 29 Nov 2026 03:00:00 +0000\r\n";
        assertThat(dataTransaction(h.repeat(101) + "\r\nbody\r\n.\r\n")).isEqualTo("554 5.4.6 Error: too many Received headers, mail forwarding loop\r\n");
        assertThat(dataTransaction(h.repeat(100) + "\r\nbody\r\n.\r\n")).startsWith("250 2.0.0");
    }

    @Test
    void bareLineEndsInDataRefusedInRejectModeNormalizedByDefault() {
        open(settings().bareLineEnds(BareLineEnds.REJECT).build(), TRUSTED);
        ch.output();
        ch.send("EHLO c\r\n");
        assertThat(dataTransaction("a\nb\r\n.\r\n")).isEqualTo("550 5.5.2 Error: message refused, bare <CR> or <LF> received\r\n");
        ch.finishAndReleaseAll();
        ehlo(TRUSTED);
        assertThat(dataTransaction("a\nb\r\n.\r\n")).startsWith("250 2.0.0");
        assertThat(queue.only().bodyWithoutReceived()).isEqualTo("a\r\nb\r\n".getBytes());
    }

    @Test
    void smugglingAttemptStaysInsideTheMessage() {
        ehlo(TRUSTED);
        String out = dataTransaction("Subject: s\r\n\r\nhi\n.\nMAIL FROM:<admin@example.org>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nforged\r\n.\r\n");
        assertThat(out).isEqualTo("250 2.0.0 Ok: queued as TEST000001\r\n");
        assertThat(queue.stored()).hasSize(1);
        assertThat(queue.only().envelope().recipients()).hasSize(1);
        assertThat(new String(queue.only().bodyWithoutReceived(), StandardCharsets.ISO_8859_1))
                .isEqualTo("Subject: s\r\n\r\nhi\r\n.\r\nMAIL FROM:<admin@example.org>\r\nRCPT TO:<victim@example.org>\r\nDATA\r\nforged\r\n");
    }

    @Test
    void queueFailureAnswers451AndNothingIsAcknowledged() {
        ehlo(TRUSTED);
        queue.failWith(QueueException.Kind.IO);
        assertThat(dataTransaction("x\r\n.\r\n")).isEqualTo("451 4.3.0 Error: queue file write error, try again later\r\n");
        queue.failWith(QueueException.Kind.STORAGE_FULL);
        assertThat(dataTransaction("x\r\n.\r\n")).isEqualTo("452 4.3.1 Error: insufficient system storage\r\n");
        assertThat(queue.stored()).isEmpty();
        queue.failWith(null);
        assertThat(dataTransaction("x\r\n.\r\n")).isEqualTo("250 2.0.0 Ok: queued as TEST000003\r\n");
        assertThat(ch.meters.counter("relay.server.messages.refused", "reason", "queue").count()).isEqualTo(2.0);
    }

    @Test
    void largeMessageSpillsToTheSpoolAndTheFileIsRemovedAfterwards() throws Exception {
        ehlo(TRUSTED);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            b.append("line ").append(i).append(" ").append("z".repeat(60)).append("\r\n");
        }
        String body = b.toString();
        assertThat(body.length()).isGreaterThan(256 * 1024);
        assertThat(dataTransaction(body + ".\r\n")).startsWith("250 2.0.0");
        assertThat(new String(queue.only().bodyWithoutReceived(), StandardCharsets.ISO_8859_1)).isEqualTo(body);
        try (var files = java.nio.file.Files.list(spool)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void stoppingAnswers421ToFurtherCommands() {
        ehlo(TRUSTED);
        ch.context.stopping(true);
        assertThat(ch.send("MAIL FROM:<a@example.com>\r\n")).isEqualTo("421 4.3.2 Service shutting down, closing transmission channel\r\n");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void stopLetsDataFinish() {
        ehlo(TRUSTED);
        ch.send("MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\npart one\r\n");
        SmtpSession s = (SmtpSession) ch.pipeline().get(HandlerNames.SESSION);
        ch.context.stopping(true);
        s.stopRequested();
        assertThat(ch.output()).isEmpty();
        assertThat(ch.send("part two\r\n.\r\n")).isEqualTo("250 2.0.0 Ok: queued as TEST000001\r\n"
                + "421 4.3.2 Service shutting down, closing transmission channel\r\n");
        assertThat(ch.isOpen()).isFalse();
        assertThat(queue.only().bodyWithoutReceived()).isEqualTo("part one\r\npart two\r\n".getBytes());
    }

    @Test
    void idleTimeoutGives421AndCloses() {
        ehlo(TRUSTED);
        ch.pipeline().fireUserEventTriggered(IdleStateEvent.READER_IDLE_STATE_EVENT);
        assertThat(ch.output()).isEqualTo("421 4.4.2 Error: timeout exceeded, closing transmission channel\r\n");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void aLineThatIsNotFinishedWithinTheCommandTimeoutEndsTheSession() {
        ch = SmtpTestChannel.open(settings().commandTimeout(java.time.Duration.ofSeconds(60)).build(), queue, TRUSTED);
        ch.freezeTime();
        ch.output();
        assertThat(ch.send("EHLO c\r\nNO")).startsWith("250-relay.example.org");
        ch.advanceTimeBy(59, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(ch.send("O")).isEmpty(); // one byte now and then keeps the idle timer quiet, not this one
        ch.advanceTimeBy(2, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(ch.output()).isEqualTo("421 4.4.2 Error: timeout exceeded, closing transmission channel\r\n");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void completeLinesStopTheLineClockAlsoInData() {
        ch = SmtpTestChannel.open(settings().commandTimeout(java.time.Duration.ofSeconds(60)).build(), queue, TRUSTED);
        ch.freezeTime();
        ch.output();
        ch.send("EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\nhalf a li");
        ch.advanceTimeBy(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(ch.send("ne\r\n")).isEmpty();
        ch.advanceTimeBy(50, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(ch.send("x")).isEmpty();
        ch.advanceTimeBy(50, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(ch.send("\r\n.\r\n")).startsWith("250 2.0.0 Ok: queued as");
        ch.advanceTimeBy(120, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(ch.output()).isEmpty();
        assertThat(ch.isOpen()).isTrue();
        assertThat(queue.only().bodyWithoutReceived()).isEqualTo("half a line\r\nx\r\n".getBytes());
    }

    @Test
    void relayDomainsCanBeReplacedForTheNextRcpt() {
        ch = SmtpTestChannel.open(settings().build(), queue, UNTRUSTED);
        ch.output();
        ch.send("EHLO c\r\nMAIL FROM:<a@example.com>\r\n");
        assertThat(ch.send("RCPT TO:<u@new.example>\r\n")).startsWith("554 5.7.1");
        ch.context.relayPolicy(new dev.relay.server.policy.RelayPolicy(settings().relayDomains(Set.of("new.example")).build()));
        assertThat(ch.send("RCPT TO:<u@new.example>\r\n")).isEqualTo("250 2.1.5 Ok\r\n");
        assertThat(ch.send("RCPT TO:<u@partner.example.net>\r\n")).startsWith("554 5.7.1");
    }

    @Test
    void thePipelineIsSwappedForDataAndBack() {
        ehlo(TRUSTED);
        assertThat(ch.pipeline().names()).startsWith(HandlerNames.IDLE, HandlerNames.DEADLINE, HandlerNames.FRAMER, HandlerNames.COMMANDS,
                HandlerNames.REPLIES, HandlerNames.SESSION);
        dataTransaction("partial\r\n");
        assertThat(ch.pipeline().get(HandlerNames.CONTENT)).isNotNull();
        assertThat(ch.pipeline().get(HandlerNames.FRAMER)).isNull();
        assertThat(ch.send(".\r\n")).startsWith("250 2.0.0");
        assertThat(ch.pipeline().names()).startsWith(HandlerNames.IDLE, HandlerNames.DEADLINE, HandlerNames.FRAMER, HandlerNames.COMMANDS,
                HandlerNames.REPLIES, HandlerNames.SESSION);
    }
}
