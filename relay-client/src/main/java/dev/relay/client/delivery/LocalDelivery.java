package dev.relay.client.delivery;

import dev.relay.client.local.MaildirDelivery;
import dev.relay.client.local.UnknownUserException;
import dev.relay.client.transport.BodySource;
import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.QueueId;
import java.io.IOException;

/**
 * Final delivery of one recipient whose domain is ours. Called on an engine thread; it may block.
 */
@FunctionalInterface
public interface LocalDelivery {

    /**
     * Delivers one copy, durably: returns only after the copy is on disk.
     *
     * @param id          the queue id (for logs)
     * @param mailbox     the local mailbox
     * @param reversePath the reverse-path as stored in the queue (for {@code Return-Path:})
     * @param body        the content
     * @return the reply for the log and the DSN: 2xx delivered, 4xx deferred, 5xx failed; never throws
     */
    SmtpReply deliver(QueueId id, Mailbox mailbox, Path reversePath, BodySource body);

    /** No local delivery configured: every local recipient is deferred, so nothing is lost while the admin fixes it. */
    LocalDelivery NONE = (id, mailbox, reversePath, body) ->
            SmtpReply.of(451, "4.3.5", "local delivery is not configured");

    /** Delivery into Maildirs: unknown user 550 5.1.1, I/O trouble 451 4.3.0. */
    static LocalDelivery maildir(MaildirDelivery maildir) {
        return (id, mailbox, reversePath, body) -> {
            try {
                java.nio.file.Path file = maildir.deliver(mailbox, reversePath, body);
                return SmtpReply.of(250, "2.0.0", "delivered to maildir" + (file == null ? "" : " " + file.getFileName()));
            } catch (UnknownUserException e) {
                return SmtpReply.of(550, "5.1.1", "unknown user: " + mailbox.localPart());
            } catch (IOException e) {
                return SmtpReply.of(451, "4.3.0", "maildir delivery failed: " + e.getMessage());
            } catch (RuntimeException e) {
                return SmtpReply.of(451, "4.3.0", "maildir delivery failed: " + e);
            }
        };
    }
}
