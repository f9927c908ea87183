package dev.relay.client.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.client.routing.RouteTable;
import dev.relay.client.routing.Router;
import dev.relay.client.routing.RoutingSettings;
import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;
import dev.relay.mail.SourceRouteMode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MaildirDeliveryTest {

    private static final byte[] MESSAGE = ("Received: from a.test by b.test; Sun, 1 Mar 2026 10:00:00 +0000\r\n"
            + "Subject: hi\r\n\r\nline\r\n.dot line\r\n\r\n8bit: caf\u00e9\r\nno newline at end").getBytes(StandardCharsets.UTF_8);

    @TempDir
    java.nio.file.Path root;

    private final Clock clock = Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC);

    private MaildirDelivery maildir(boolean acceptUnknown) {
        return new MaildirDelivery(new LocalDeliverySettings(root, acceptUnknown), "c.test", clock);
    }

    @Test
    void deliversIntoNewWithReturnPathAndDeliveredToOnTopAndTheContentByteForByte() throws Exception {
        Files.createDirectories(root.resolve("c.test").resolve("u"));
        Path returnPath = new Path(List.of("b.test", "a.test"), new Mailbox("s", "src.test"));
        java.nio.file.Path file = maildir(false).deliver(new Mailbox("U", "c.test"), returnPath, () -> new ByteArrayInputStream(MESSAGE));

        assertThat(file.getParent()).isEqualTo(root.resolve("c.test").resolve("u").resolve("new"));
        byte[] stored = Files.readAllBytes(file);
        byte[] top = "Return-Path: <@b.test,@a.test:s@src.test>\r\nDelivered-To: U@c.test\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(java.util.Arrays.copyOf(stored, top.length)).isEqualTo(top);
        assertThat(java.util.Arrays.copyOfRange(stored, top.length, stored.length)).isEqualTo(MESSAGE);
        // the Maildir protocol: nothing is left in tmp/, and cur/ exists for readers
        try (Stream<java.nio.file.Path> tmp = Files.list(root.resolve("c.test").resolve("u").resolve("tmp"))) {
            assertThat(tmp).isEmpty();
        }
        assertThat(root.resolve("c.test").resolve("u").resolve("cur")).isDirectory();
        assertThat(file.getFileName().toString()).startsWith("1772359200.").endsWith(".c.test");
    }

    @Test
    void oneMaildirPerMailboxSoTheSameUserInTwoDomainsStaysApart() throws Exception {
        MaildirDelivery m = maildir(true);
        java.nio.file.Path a = m.deliver(new Mailbox("u", "A.test."), Path.NULL, () -> new ByteArrayInputStream(MESSAGE));
        java.nio.file.Path b = m.deliver(new Mailbox("u", "b.test"), Path.NULL, () -> new ByteArrayInputStream(MESSAGE));
        assertThat(a).startsWith(root.resolve("a.test").resolve("u").resolve("new"));
        assertThat(b).startsWith(root.resolve("b.test").resolve("u").resolve("new"));
        assertThat(m.maildirOf(new Mailbox("x", "../etc"))).isNull();
    }

    @Test
    void theNullReversePathIsWrittenAsIs() throws Exception {
        Files.createDirectories(root.resolve("c.test").resolve("u"));
        java.nio.file.Path file = maildir(false).deliver(new Mailbox("u", "c.test"), Path.NULL, () -> new ByteArrayInputStream(MESSAGE));
        assertThat(Files.readString(file, StandardCharsets.ISO_8859_1)).startsWith("Return-Path: <>\r\n");
    }

    @Test
    void twoDeliveriesInTheSameMillisecondGetTwoFiles() throws Exception {
        Files.createDirectories(root.resolve("c.test").resolve("u"));
        MaildirDelivery m = maildir(false);
        java.nio.file.Path a = m.deliver(new Mailbox("u", "c.test"), Path.NULL, () -> new ByteArrayInputStream(MESSAGE));
        java.nio.file.Path b = m.deliver(new Mailbox("u", "c.test"), Path.NULL, () -> new ByteArrayInputStream(MESSAGE));
        assertThat(a).isNotEqualTo(b);
        try (Stream<java.nio.file.Path> files = Files.list(root.resolve("c.test").resolve("u").resolve("new"))) {
            assertThat(files).hasSize(2);
        }
    }

    @Test
    void unknownUsersAreRefusedOrAcceptedPerTheSetting() throws Exception {
        Mailbox nobody = new Mailbox("nobody", "c.test");
        assertThat(maildir(false).accepts(nobody)).isFalse();
        assertThatThrownBy(() -> maildir(false).deliver(nobody, Path.NULL, () -> new ByteArrayInputStream(MESSAGE)))
                .isInstanceOf(UnknownUserException.class).hasMessageContaining("nobody@c.test");
        assertThat(root.resolve("c.test").resolve("nobody")).doesNotExist();

        java.nio.file.Path file = maildir(true).deliver(nobody, Path.NULL, () -> new ByteArrayInputStream(MESSAGE));
        assertThat(file).startsWith(root.resolve("c.test").resolve("nobody").resolve("new"));
    }

    @Test
    void postmasterIsAlwaysAccepted() throws Exception {
        assertThat(maildir(false).accepts(new Mailbox("PostMaster", "c.test"))).isTrue();
        java.nio.file.Path file = maildir(false).deliver(new Mailbox("Postmaster", null), Path.NULL,
                () -> new ByteArrayInputStream(MESSAGE));
        assertThat(file).startsWith(root.resolve("c.test").resolve("postmaster").resolve("new"));
    }

    @Test
    void localPartsThatCannotNameADirectorySafelyNeverExist() throws IOException {
        MaildirDelivery m = maildir(true);
        // RFC 5321 section 3.6.1: routing operators (percent hack, bang path, quoted at-sign) never name a mailbox
        for (String bad : List.of("", "..", ".hidden", "../etc", "a/b", "a\\b", "x\u0000y", "x".repeat(65),
                "u%outside.example", "outside.example!u", "u@outside.example", "%", "!", "@")) {
            assertThat(m.maildirOf(new Mailbox(bad, "c.test"))).as(bad).isNull();
            assertThat(m.accepts(new Mailbox(bad, "c.test"))).as(bad).isFalse();
            assertThatThrownBy(() -> m.deliver(new Mailbox(bad, "c.test"), Path.NULL, () -> new ByteArrayInputStream(MESSAGE)))
                    .isInstanceOf(UnknownUserException.class);
        }
        try (Stream<java.nio.file.Path> files = Files.list(root)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void aFailedWriteLeavesNothingBehindAndIsAnIOException() throws Exception {
        Files.createDirectories(root.resolve("c.test").resolve("u"));
        InputStream broken = new InputStream() {
            private int n;

            @Override
            public int read() throws IOException {
                if (n++ > 10) {
                    throw new IOException("queue read failed");
                }
                return 'x';
            }
        };
        assertThatThrownBy(() -> maildir(false).deliver(new Mailbox("u", "c.test"), Path.NULL, () -> broken))
                .isInstanceOf(IOException.class).hasMessageContaining("queue read failed");
        try (Stream<java.nio.file.Path> tmp = Files.list(root.resolve("c.test").resolve("u").resolve("tmp"));
             Stream<java.nio.file.Path> neu = Files.list(root.resolve("c.test").resolve("u").resolve("new"))) {
            assertThat(tmp).isEmpty();
            assertThat(neu).isEmpty();
        }
    }

    @Test
    void localUsersAnswersFromMemoryAndSeesNewMaildirsAfterARefresh() throws Exception {
        Files.createDirectories(root.resolve("c.test").resolve("alice"));
        try (LocalUsers users = new LocalUsers(maildir(false), Duration.ofMillis(50)).start()) {
            assertThat(users.exists(new Mailbox("Alice", "c.test"))).isTrue();
            assertThat(users.exists(new Mailbox("bob", "c.test"))).isFalse();
            assertThat(users.exists(new Mailbox("postmaster", null))).isTrue();
            assertThat(users.exists(new Mailbox("../alice", "c.test"))).isFalse();
            assertThat(users.exists(new Mailbox("alice", "other.test"))).isFalse();
            assertThat(users.users()).containsExactly("c.test/alice");

            Files.createDirectories(root.resolve("c.test").resolve("bob"));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> users.exists(new Mailbox("bob", "c.test")));
        }
        try (LocalUsers any = new LocalUsers(maildir(true), LocalUsers.DEFAULT_REFRESH).start()) {
            assertThat(any.exists(new Mailbox("carol", "c.test"))).isTrue();
            assertThat(any.exists(new Mailbox(".carol", "c.test"))).isFalse();
            assertThat(any.exists(new Mailbox("carol%outside.example", "c.test"))).isFalse();
            assertThat(any.exists(new Mailbox("outside.example!carol", "c.test"))).isFalse();
            assertThat(any.exists(new Mailbox("carol@outside.example", "c.test"))).isFalse();
        }
    }

    /** A Maildir named with a routing operator (made by an older version) is not a user any more. */
    @Test
    void anOldMaildirNamedWithARoutingOperatorIsNoLongerAUser() throws Exception {
        Files.createDirectories(root.resolve("c.test").resolve("u%outside.example"));
        Files.createDirectories(root.resolve("c.test").resolve("outside.example!u"));
        Files.createDirectories(root.resolve("c.test").resolve("u@outside.example"));
        Files.createDirectories(root.resolve("c.test").resolve("u"));
        try (LocalUsers users = new LocalUsers(maildir(false), LocalUsers.DEFAULT_REFRESH).start()) {
            assertThat(users.users()).containsExactly("c.test/u");
            assertThat(users.exists(new Mailbox("u%outside.example", "c.test"))).isFalse();
        }
        assertThatThrownBy(() -> maildir(false).deliver(new Mailbox("u%outside.example", "c.test"), Path.NULL,
                () -> new ByteArrayInputStream(MESSAGE))).isInstanceOf(UnknownUserException.class);
        assertThat(root.resolve("c.test").resolve("u%outside.example").resolve("new")).doesNotExist();
    }

    @Test
    void aMissingMaildirRootIsReportedOnceAndNotAtAllWhenUnknownUsersAreAccepted() throws Exception {
        dev.relay.queue.testing.CapturedLogs logs = dev.relay.queue.testing.CapturedLogs.of(LocalUsers.class);
        java.nio.file.Path missing = root.resolve("not-yet");
        try {
            LocalUsers users = new LocalUsers(new MaildirDelivery(new LocalDeliverySettings(missing, false), "c.test",
                    clock), LocalUsers.DEFAULT_REFRESH);
            users.refresh();
            users.refresh();
            users.refresh();
            assertThat(warnings(logs)).singleElement().asString().contains(missing + " does not exist");
            Files.createDirectories(missing.resolve("c.test").resolve("alice"));
            users.refresh();
            assertThat(users.users()).containsExactly("c.test/alice");
            Files.delete(missing.resolve("c.test").resolve("alice"));
            Files.delete(missing.resolve("c.test"));
            Files.delete(missing);
            users.refresh();
            assertThat(warnings(logs)).hasSize(2); // gone again: said again

            logs.clear();
            try (LocalUsers any = new LocalUsers(new MaildirDelivery(new LocalDeliverySettings(missing, true), "c.test",
                    clock), LocalUsers.DEFAULT_REFRESH).start()) {
                assertThat(any.exists(new Mailbox("carol", "c.test"))).isTrue();
            }
            assertThat(warnings(logs)).isEmpty();
        } finally {
            logs.close();
        }
    }

    private static List<String> warnings(dev.relay.queue.testing.CapturedLogs logs) {
        return logs.messages(ch.qos.logback.classic.Level.WARN);
    }

    @Test
    void localMailboxesUsesTheRouterSoASourceRouteThroughUsToALocalUserIsLocal() throws Exception {
        Files.createDirectories(root.resolve("c.test").resolve("u"));
        Router router = new Router(new RoutingSettings("c.test", Set.of(), Set.of(), SourceRouteMode.RFC821),
                RouteTable.parse("", "test"));
        LocalMailboxes local = new LocalMailboxes(router, maildir(false));
        assertThat(local.check(new Path(List.of("c.test"), new Mailbox("u", "c.test")))).isEqualTo(LocalMailboxes.Verdict.ACCEPT);
        assertThat(local.check(Path.of(new Mailbox("x", "c.test")))).isEqualTo(LocalMailboxes.Verdict.UNKNOWN_USER);
        assertThat(local.check(Path.of(new Mailbox("u", "elsewhere.test")))).isEqualTo(LocalMailboxes.Verdict.NOT_LOCAL);
    }
}
