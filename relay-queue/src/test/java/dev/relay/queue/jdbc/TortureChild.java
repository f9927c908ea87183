package dev.relay.queue.jdbc;

import dev.relay.mail.SmtpReply;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.ClaimedRecipient;
import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.Outcome;
import dev.relay.queue.QueueId;
import dev.relay.queue.RecipientOutcome;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The child JVM of {@link CrashTortureTest}: opens the queue, prints everything in it, then runs a
 * random mixed workload on it until it is killed. Every line is printed only after (or, for what a
 * sink would have received, before) the fact it reports, so the parent's ledger never claims more
 * than happened:
 * <ul>
 * <li>{@code MSG id sha256 recipients} and {@code RCPT id address STATE}: the queue's content at
 * start, ended by {@code STATE END};</li>
 * <li>{@code ACK id sha256 recipients}: an enqueue whose future completed (the 250 of SMTP);</li>
 * <li>{@code FINAL id address}: printed before a delivered or bounced outcome is recorded (the
 * sink has it from then on);</li>
 * <li>{@code DELETING id} before, {@code DELETED id} after an administrator's delete.</li>
 * </ul>
 * Arguments: {@code DIR SEED CHURN MAXMIB}: CHURN messages are first sent through the queue to give
 * the file a history (its space is then reused); MAXMIB is the largest body in MiB.
 */
public final class TortureChild {
    /** The report to the parent: standard output, which nothing else writes (see {@link #main}). */
    private static final PrintStream OUT = new PrintStream(report(), true, StandardCharsets.US_ASCII);
    private static final SmtpReply OK = SmtpReply.of(250, "2.0.0", "ok");
    private static final SmtpReply LATER = SmtpReply.of(451, "4.3.0", "try later");
    private static final SmtpReply NO = SmtpReply.of(550, "5.1.1", "no such user");

    private TortureChild() {
    }

    /**
     * Standard output, and the file named by {@code relay.torture.report} as well: a line written to
     * a file is there after a SIGKILL, while the last lines in the pipe to the parent were seen to be
     * lost (a delete reported nowhere, so its message counted as lost).
     */
    private static java.io.OutputStream report() {
        java.io.OutputStream stdout = new java.io.FileOutputStream(java.io.FileDescriptor.out);
        String file = System.getProperty("relay.torture.report");
        if (file == null) {
            return stdout;
        }
        java.io.OutputStream copy;
        try {
            copy = new java.io.FileOutputStream(file, true);
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalStateException(e);
        }
        return new java.io.OutputStream() {
            @Override
            public void write(int b) throws java.io.IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public synchronized void write(byte[] b, int off, int len) throws java.io.IOException {
                copy.write(b, off, len); // first the file: it is what the parent checks against
                stdout.write(b, off, len);
            }
        };
    }

    public static void main(String[] args) throws Exception {
        System.setOut(System.err); // the log goes to standard error, never into a report line
        // what the journal deletes, for a look after a failure
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("dev.relay.queue.journal"))
                .setLevel(ch.qos.logback.classic.Level.INFO);
        Path dir = Path.of(args[0]);
        long seed = Long.parseLong(args[1]);
        int churn = Integer.parseInt(args[2]);
        int maxMib = Integer.parseInt(args[3]);
        H2MessageQueue q = H2MessageQueue.open(Fixtures.settings(dir).withDefaultLease(Duration.ofMinutes(5)),
                Clock.systemUTC());
        List<QueueId> known = new CopyOnWriteArrayList<>(printState(q));
        OUT.println("STATE END");
        if (churn > 0) {
            churn(q, churn, seed);
            OUT.println("CHURNED " + q.file().toFile().length());
        }
        OUT.println("READY");
        Random r = new Random(seed);
        int senders = 1 + r.nextInt(6);
        for (int i = 0; i < senders; i++) {
            long s = r.nextLong();
            boolean parallel = r.nextBoolean();
            start("sender-" + i, () -> send(q, new Random(s), maxMib, known, parallel));
        }
        start("deliverer", () -> deliver(q));
        start("admin", () -> admin(q, known));
        Thread.sleep(Long.MAX_VALUE);
    }

    private interface Work {
        void run() throws Exception;
    }

    private static void start(String name, Work work) {
        Thread t = new Thread(() -> {
            try {
                work.run();
            } catch (Throwable e) {
                OUT.println("ERROR " + name + " " + e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
    }

    /**
     * Prints the queue's messages and recipients, read straight from the tables (the admin listing
     * pages by offset, too slow for a queue of many thousand messages); returns the message ids.
     */
    private static List<QueueId> printState(H2MessageQueue q) throws Exception {
        List<QueueId> ids = new ArrayList<>();
        try (java.sql.Connection c = q.connection(); java.sql.Statement st = c.createStatement()) {
            try (java.sql.ResultSet rs = st.executeQuery("SELECT m.queue_id,"
                    + " (SELECT COUNT(*) FROM recipient r WHERE r.queue_id = m.queue_id) FROM message m")) {
                while (rs.next()) {
                    String id = rs.getString(1);
                    ids.add(new QueueId(id));
                    String sha;
                    try (InputStream in = q.openBody(new QueueId(id))) {
                        sha = sha(in);
                    } catch (java.io.IOException e) {
                        sha = "unreadable:" + e.getMessage().replace(' ', '_');
                    }
                    OUT.println("MSG " + id + " " + sha + " " + rs.getLong(2));
                }
            }
            try (java.sql.ResultSet rs = st.executeQuery("SELECT queue_id, forward_path, state FROM recipient")) {
                StringBuilder b = new StringBuilder();
                while (rs.next()) {
                    String path = rs.getString(2);
                    b.append("RCPT ").append(rs.getString(1)).append(' ').append(path, 1, path.length() - 1)
                            .append(' ').append(rs.getString(3)).append('\n');
                    if (b.length() > 1 << 16) {
                        OUT.print(b);
                        b.setLength(0);
                    }
                }
                OUT.print(b);
            }
            c.commit();
        }
        return ids;
    }

    /** Sends {@code n} small messages and a few large ones through the queue, delivering each. */
    private static void churn(H2MessageQueue q, int n, long seed) throws Exception {
        Random r = new Random(seed ^ 0x5DEECE66DL);
        for (int i = 0; i < n; i++) {
            int size = i % 200 == 199 ? (1 + r.nextInt(4)) << 20 : 512 + r.nextInt(4096);
            byte[] body = body(r, size);
            QueueId id = QueueId.generate();
            q.enqueue(id, envelope(id, 1 + r.nextInt(3)), MessageBody.of(body)).get();
        }
        while (true) {
            List<ClaimedMessage> batch = q.claim("churn", 1000, Duration.ofMinutes(5));
            if (batch.isEmpty()) {
                return;
            }
            for (ClaimedMessage m : batch) {
                List<RecipientOutcome> outcomes = new ArrayList<>();
                for (ClaimedRecipient cr : m.recipients()) {
                    outcomes.add(new RecipientOutcome(cr.id(), new Outcome.Delivered(OK, "churn")));
                }
                q.complete(m.id(), outcomes);
            }
        }
    }

    private static void send(H2MessageQueue q, Random r, int maxMib, List<QueueId> known, boolean parallel)
            throws Exception {
        while (true) {
            int size;
            int kind = r.nextInt(100);
            if (kind < 3) {
                size = (1 + r.nextInt(Math.max(1, maxMib))) << 20; // a LOB of up to MAXMIB MiB
            } else if (kind < 15) {
                size = 10_000 + r.nextInt(200_000);
            } else {
                size = 1024 + r.nextInt(4096);
            }
            int kindR = r.nextInt(100);
            int rcpts = kindR < 2 ? 1000 : kindR < 10 ? 2 + r.nextInt(50) : 1 + r.nextInt(3);
            byte[] body = body(r, size);
            String sha = sha(new java.io.ByteArrayInputStream(body));
            QueueId id = QueueId.generate();
            var f = q.enqueue(id, envelope(id, rcpts), MessageBody.of(body)).whenComplete((v, e) -> {
                if (e == null) {
                    OUT.println("ACK " + id + " " + sha + " " + rcpts);
                    known.add(id);
                }
            });
            if (!parallel) {
                try {
                    f.get();
                } catch (Exception e) {
                    OUT.println("REFUSED " + id + " " + e.getCause());
                }
            }
        }
    }

    private static void deliver(H2MessageQueue q) throws Exception {
        while (true) {
            List<ClaimedMessage> batch = q.claim("torture", 200, Duration.ofMinutes(5));
            if (batch.isEmpty()) {
                Thread.sleep(20);
                continue;
            }
            for (ClaimedMessage m : batch) {
                try (InputStream in = q.openBody(m.id())) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                } catch (java.io.IOException e) {
                    // deleted by the administrator meanwhile: its outcomes match nothing
                }
                ThreadLocalRandom r = ThreadLocalRandom.current();
                List<RecipientOutcome> outcomes = new ArrayList<>();
                StringBuilder finals = new StringBuilder();
                for (ClaimedRecipient cr : m.recipients()) {
                    int p = r.nextInt(100);
                    Outcome o;
                    if (p < 70) {
                        o = new Outcome.Delivered(OK, "sink");
                    } else if (p < 90) {
                        o = new Outcome.Deferred(LATER, "sink",
                                java.time.Instant.now().plusMillis(r.nextInt(1500)), false);
                    } else {
                        o = new Outcome.Failed(NO, "sink");
                    }
                    if (!(o instanceof Outcome.Deferred)) {
                        finals.append("FINAL ").append(m.id()).append(' ')
                                .append(cr.recipient().forwardPath().mailbox()).append('\n');
                    }
                    outcomes.add(new RecipientOutcome(cr.id(), o));
                }
                OUT.print(finals);
                OUT.flush();
                q.complete(m.id(), outcomes);
            }
        }
    }

    private static void admin(H2MessageQueue q, List<QueueId> known) throws Exception {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        while (true) {
            Thread.sleep(5 + r.nextInt(40));
            if (known.isEmpty()) {
                continue;
            }
            QueueId id = known.get(r.nextInt(known.size()));
            int p = r.nextInt(10);
            if (p < 4) {
                q.admin().hold(List.of(id));
            } else if (p < 8) {
                q.admin().release(List.of(id));
            } else if (p < 9) {
                OUT.println("DELETING " + id);
                q.admin().delete(List.of(id));
                OUT.println("DELETED " + id);
                known.remove(id);
            } else {
                q.admin().retry(List.of(id));
            }
        }
    }

    private static Envelope envelope(QueueId id, int rcpts) {
        String[] to = new String[rcpts];
        for (int i = 0; i < rcpts; i++) {
            to[i] = "r" + i + "@d" + (i % 7) + ".example";
        }
        return Fixtures.envelope("s@example.org", to);
    }

    private static byte[] body(Random r, int size) {
        byte[] b = new byte[size];
        String head = "Subject: torture\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(h, 0, b, 0, Math.min(h.length, size));
        for (int i = h.length; i < size; i++) {
            b[i] = (i % 78 == 77) ? (byte) '\n' : (byte) ('a' + r.nextInt(26));
        }
        return b;
    }

    static String sha(InputStream in) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[65536];
        int n;
        while ((n = in.read(buf)) > 0) {
            d.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(d.digest());
    }
}
