package dev.relay.queue.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.relay.queue.QueueException;
import dev.relay.queue.QueueException.Kind;
import dev.relay.queue.QueueId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.h2.mvstore.DataUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 2 section 6: a bad database file gives an error that names the file and says what to do. */
class FaultsTest {
    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("queue.mv.db").toAbsolutePath();
    }

    /**
     * A queue of the version before the journal (no {@code spool/}): its database is all there is,
     * so a damaged one stops the start with a message that says what to do. (With a journal the
     * start rebuilds the database instead: JournalTest, QueueSalvageTest.)
     */
    private void createQueueWithOneMessage() throws Exception {
        try (H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC())) {
            q.enqueue(QueueId.generate(), Fixtures.envelope("s@example.org", "a@example.org"), Fixtures.body("x"))
                    .get(10, TimeUnit.SECONDS);
        }
        try (var s = Files.walk(dir.resolve(Journal.FOLDER))) {
            for (java.nio.file.Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private QueueException openFails() {
        try {
            H2MessageQueue.open(Fixtures.settings(dir), Clock.systemUTC()).close();
        } catch (QueueException e) {
            return e;
        }
        throw new AssertionError("the queue opened");
    }

    @Test
    void aFileWithAGarbledHeaderIsReportedCorrupt() throws Exception {
        createQueueWithOneMessage();
        byte[] bytes = Files.readAllBytes(file());
        Arrays.fill(bytes, 0, 8192, (byte) 'x');
        Files.write(file(), bytes);

        QueueException e = openFails();

        assertThat(e.kind()).isEqualTo(Kind.CORRUPT);
        assertThat(e).hasMessageContaining(file().toString()).hasMessageContaining("restore the last backup");
    }

    @Test
    void aFileThatIsNotADatabaseIsReportedCorrupt() throws Exception {
        Files.writeString(file(), "this is not a database\n".repeat(1000));

        QueueException e = openFails();

        assertThat(e.kind()).isEqualTo(Kind.CORRUPT);
        assertThat(e).hasMessageContaining(file().toString());
    }

    @Test
    void aFileOfAnOlderH2FormatSaysHowToConvertIt() throws Exception {
        createQueueWithOneMessage();
        byte[] bytes = Files.readAllBytes(file());
        for (int block = 0; block < 2; block++) {
            rewriteHeader(bytes, block * 4096);
        }
        Files.write(file(), bytes);

        QueueException e = openFails();

        assertThat(e.kind()).isEqualTo(Kind.CORRUPT);
        assertThat(e).hasMessageContaining(file().toString()).hasMessageContaining("another H2 version")
                .hasMessageContaining("RunScript");
    }

    /** Sets {@code format:1} (the H2 1.4 file format) in the header at {@code offset}, with a valid checksum. */
    private static void rewriteHeader(byte[] bytes, int offset) {
        int end = offset;
        while (bytes[end] != '\n') {
            end++;
        }
        String header = new String(bytes, offset, end - offset, StandardCharsets.ISO_8859_1);
        String body = header.substring(0, header.indexOf(",fletcher:")).replaceAll("format:\\d+", "format:1")
                .replaceAll("formatRead:\\d+", "formatRead:1");
        byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
        String fixed = body + ",fletcher:" + Integer.toHexString(DataUtils.getFletcher32(b, 0, b.length));
        byte[] f = (fixed + "\n").getBytes(StandardCharsets.ISO_8859_1);
        Arrays.fill(bytes, offset, offset + 4096, (byte) ' ');
        System.arraycopy(f, 0, bytes, offset, f.length);
    }

    @Test
    void aFailedMigrationStopsTheOpenWithFlywaysMessage() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.toAbsolutePath().resolve("queue"),
                "relay", ""); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE something_else (x INT)");
        }

        QueueException e = openFails();

        assertThat(e.kind()).isEqualTo(Kind.MIGRATION);
        assertThat(e).hasMessageContaining(file().toString()).hasMessageContaining("schema history table");
    }

    @Test
    void aDataFolderThatCannotBeCreatedIsNamed() throws Exception {
        Path notADir = dir.resolve("plain-file");
        Files.writeString(notADir, "x");

        assertThatThrownBy(() -> H2MessageQueue.open(Fixtures.settings(notADir.resolve("queue")), Clock.systemUTC()))
                .isInstanceOf(QueueException.class).hasMessageContaining(notADir.toString())
                .hasMessageContaining("queue.directory");
    }
}
