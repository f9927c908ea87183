package dev.relay.server.session;

import dev.relay.mail.MailParameters;
import dev.relay.mail.Path;
import dev.relay.queue.QueueId;
import dev.relay.queue.Recipient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One mail transaction (RFC 5321 section 3.3): from an accepted MAIL to the end of DATA. RSET,
 * EHLO, the end of data and a failed enqueue each drop it in one assignment in the session; the
 * queue id is taken at MAIL so every log line and the Received header can name it.
 */
public final class Transaction {
    private final QueueId id;
    private final Path reversePath;
    private final MailParameters parameters;
    private final List<Recipient> recipients = new ArrayList<>();
    private BodySpool body;

    public Transaction(QueueId id, Path reversePath, MailParameters parameters) {
        this.id = id;
        this.reversePath = reversePath;
        this.parameters = parameters;
    }

    public QueueId id() {
        return id;
    }

    public Path reversePath() {
        return reversePath;
    }

    public MailParameters parameters() {
        return parameters;
    }

    /** True when MAIL carried SMTPUTF8 (RFC 6531): RCPT paths may then hold UTF-8. */
    public boolean smtputf8() {
        return parameters.smtputf8();
    }

    public List<Recipient> recipients() {
        return Collections.unmodifiableList(recipients);
    }

    public void addRecipient(Recipient r) {
        recipients.add(r);
    }

    /** The content being received, or null before DATA. */
    public BodySpool body() {
        return body;
    }

    void body(BodySpool b) {
        this.body = b;
    }
}
