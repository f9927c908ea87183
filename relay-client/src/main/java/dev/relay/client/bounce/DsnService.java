package dev.relay.client.bounce;

import dev.relay.mail.MailParameters;
import dev.relay.mail.Mailbox;
import dev.relay.mail.Notify;
import dev.relay.mail.Path;
import dev.relay.mail.RcptParameters;
import dev.relay.mail.Ret;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.Envelope;
import dev.relay.queue.MessageBody;
import dev.relay.queue.MessageQueue;
import dev.relay.queue.Origin;
import dev.relay.queue.QueueException;
import dev.relay.queue.QueueId;
import dev.relay.queue.Recipient;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.mail.MessagingException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which delivery status notifications an attempt calls for, builds them and enqueues them
 * as new messages, so that they go through normal routing and delivery.
 *
 * <p>Rules (RFC 3461 section 5.2, RFC 5321 sections 4.5.5 and 6.1):
 * <ul>
 * <li>Failed recipients get a "failed" DSN unless their NOTIFY excludes FAILURE (NEVER, or a list
 * without FAILURE); a missing NOTIFY means FAILURE. All recipients that failed in one call go into
 * one DSN.</li>
 * <li>NOTIFY=SUCCESS: a "delivered" DSN on final (local) delivery, a "relayed" DSN when a next hop
 * took the message without offering DSN; when the next hop offered DSN the parameters went on with
 * the message and the duty passed to it, so nothing is sent here.</li>
 * <li>NOTIFY=DELAY (or no NOTIFY, if configured): one "delayed" DSN per recipient once it has been
 * in the queue for the delay warning time.</li>
 * <li>A message with the null reverse-path {@code <>} never gets a DSN: it is logged and dropped,
 * so that bounces cannot loop.</li>
 * <li>The DSN goes to the reverse-path with its source route stripped to the last hop
 * ({@code <@a,@b:u@d>} to {@code <u@d>}), from {@code <>}, with {@code NOTIFY=NEVER}.</li>
 * </ul>
 *
 * <p>{@link #send} returns only after the DSNs are durable in the queue (or failed to be), so the
 * engine can report the recipients as final knowing that the notice cannot be lost.
 */
public final class DsnService {

    private static final Logger log = LoggerFactory.getLogger(DsnService.class);

    /** The most of a header section that is returned (as the queue's own header limit). */
    private static final int MAX_RETURNED_HEADERS = 64 * 1024;
    /** How long to wait for the queue to store a DSN. */
    private static final long ENQUEUE_TIMEOUT_SECONDS = 120;
    private static final String DROPPED = "relay.dsn.dropped";
    private static final String SENT = "relay.dsn.sent";
    private static final String ERRORS = "relay.dsn.errors";

    private final DsnSettings settings;
    private final MessageQueue queue;
    private final Clock clock;
    private final DsnBuilder builder;
    private final MeterRegistry meters;

    public DsnService(DsnSettings settings, MessageQueue queue, Clock clock, MeterRegistry meters) {
        this.settings = settings;
        this.queue = queue;
        this.clock = clock;
        this.meters = meters;
        this.builder = new DsnBuilder(settings, clock.getZone());
        // at 0 from the start, so that a rate is there before the first notification
        counter(DROPPED, "reason", "null-reverse-path");
        for (DsnBuilder.Kind k : DsnBuilder.Kind.values()) {
            counter(SENT, "kind", kindTag(k));
            counter(ERRORS, "kind", kindTag(k));
        }
    }

    private io.micrometer.core.instrument.Counter counter(String name, String tag, String value) {
        return io.micrometer.core.instrument.Counter.builder(name).tag(tag, value).description(switch (name) {
            case DROPPED -> "notifications not sent, by reason (a failed message whose sender is <>)";
            case SENT -> "delivery status notifications stored for the sender, by kind";
            default -> "delivery status notifications that could not be stored, by kind";
        }).register(meters);
    }

    private static String kindTag(DsnBuilder.Kind k) {
        return k.name().toLowerCase(java.util.Locale.ROOT);
    }

    public DsnSettings settings() {
        return settings;
    }

    /**
     * What {@link #send} did.
     *
     * @param notifications   the queue ids of the DSNs enqueued
     * @param failuresStored  false only when a "failed" DSN was due and could not be stored: the engine then
     *                        reports those recipients as deferred (to be tried again soon) instead of failed,
     *                        so the bounce is not lost
     * @param delayNoticeSent the recipient ids whose "delayed" DSN was stored now
     */
    public record Sent(List<QueueId> notifications, boolean failuresStored, Set<Long> delayNoticeSent) {
        public Sent {
            notifications = List.copyOf(notifications);
            delayNoticeSent = Set.copyOf(delayNoticeSent);
        }

        /** True when a delay notice for this recipient was stored by this call. */
        public boolean delayNoticeSent(long recipientId) {
            return delayNoticeSent.contains(recipientId);
        }
    }

    /**
     * Enqueues the DSNs due after one attempt at (some of) the recipients of {@code message} and
     * waits until they are durable. Call it before reporting the outcomes to the queue.
     */
    public Sent send(ClaimedMessage message, List<DeliveryReport> reports) {
        List<DeliveryReport> failed = new ArrayList<>();
        List<DeliveryReport> success = new ArrayList<>();
        List<DeliveryReport> delayed = new ArrayList<>();
        for (DeliveryReport r : reports) {
            Set<Notify> notify = r.recipient().recipient().parameters().notifyOn();
            switch (r.action()) {
                case FAILED -> {
                    if (notify.isEmpty() || notify.contains(Notify.FAILURE)) {
                        failed.add(r);
                    }
                }
                case DELIVERED -> {
                    if (notify.contains(Notify.SUCCESS)) {
                        success.add(r);
                    }
                }
                case RELAYED -> {
                    if (notify.contains(Notify.SUCCESS) && !r.nextHopOfferedDsn()) {
                        success.add(r);
                    }
                }
                case DELAYED -> {
                    if (delayNoticeDue(message, r)) {
                        delayed.add(r);
                    }
                }
            }
        }
        if (failed.isEmpty() && success.isEmpty() && delayed.isEmpty()) {
            return new Sent(List.of(), true, Set.of());
        }
        Path reversePath = message.envelope().reversePath();
        if (reversePath.isNull()) {
            // RFC 5321 section 6.1: "if this address is null ("<>"), the receiver-SMTP MUST NOT send a notification".
            for (DeliveryReport r : failed) {
                log.info("{}: to={}, status=bounced, dsn={}: no notification, the reverse-path is <> ({})",
                        message.id(), r.recipient().recipient().forwardPath(), r.status(), r.reply());
                counter(DROPPED, "reason", "null-reverse-path").increment();
            }
            return new Sent(List.of(), true, Set.of());
        }
        // RFC 5321 section 6.1: "If the address is an explicit source route, it MUST be stripped down to its final hop."
        Mailbox to = reversePath.withoutRoute().mailbox();
        List<QueueId> ids = new ArrayList<>();
        boolean failuresStored = true;
        if (!failed.isEmpty()) {
            QueueId id = enqueue(DsnBuilder.Kind.FAILURE, message, to, failed);
            failuresStored = id != null;
            if (id != null) {
                ids.add(id);
            }
        }
        if (!success.isEmpty()) {
            QueueId id = enqueue(DsnBuilder.Kind.SUCCESS, message, to, success);
            if (id != null) {
                ids.add(id);
            }
        }
        Set<Long> delaySent = new HashSet<>();
        if (!delayed.isEmpty()) {
            QueueId id = enqueue(DsnBuilder.Kind.DELAY, message, to, delayed);
            if (id != null) {
                ids.add(id);
                for (DeliveryReport r : delayed) {
                    delaySent.add(r.recipient().id());
                }
            }
        }
        return new Sent(ids, failuresStored, delaySent);
    }

    /** True when {@code r} (deferred now) is owed its one delay notice. */
    boolean delayNoticeDue(ClaimedMessage message, DeliveryReport r) {
        if (!settings.delayNoticesEnabled() || r.recipient().delayNoticeSent()) {
            return false;
        }
        Set<Notify> notify = r.recipient().recipient().parameters().notifyOn();
        boolean wanted = notify.contains(Notify.DELAY) || (notify.isEmpty() && settings.delayWarningWithoutNotify());
        if (!wanted || message.envelope().reversePath().isNull()) {
            return false;
        }
        Instant arrival = message.envelope().origin().arrival();
        return !arrival.plus(settings.delayWarningTime()).isAfter(clock.instant());
    }

    /** Builds and stores one DSN; returns its queue id, or null (logged) when it could not be stored. */
    private QueueId enqueue(DsnBuilder.Kind kind, ClaimedMessage message, Mailbox to, List<DeliveryReport> reports) {
        QueueId id = QueueId.generate();
        Instant now = clock.instant();
        try {
            byte[] bytes = builder.build(kind, message.id(), id, message.envelope(), to, reports,
                    returned(kind, message), now);
            Envelope envelope = new Envelope(Path.NULL, eightBit(bytes)
                    ? new MailParameters(null, dev.relay.mail.BodyType.EIGHT_BIT_MIME, false, null, null)
                    : MailParameters.NONE,
                    // RFC 3461 section 6.2: a DSN's recipient, if given NOTIFY, MUST be given NEVER.
                    List.of(new Recipient(Path.of(to), new RcptParameters(Set.of(Notify.NEVER), null))),
                    new Origin("127.0.0.1", settings.hostName(), null, now, "LOCAL"));
            queue.enqueue(id, envelope, MessageBody.of(bytes)).get(ENQUEUE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (MessagingException | IOException | QueueException | ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            log.warn("{}: {} notification to <{}> could not be stored: {}", message.id(), describe(kind), to,
                    cause.toString());
            counter(ERRORS, "kind", kindTag(kind)).increment();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("{}: {} notification to <{}> interrupted before it was stored", message.id(), describe(kind), to);
            return null;
        }
        log.info("{}: sender {} notification: {}", message.id(), describe(kind), id);
        counter(SENT, "kind", kindTag(kind)).increment();
        return id;
    }

    private static String describe(DsnBuilder.Kind kind) {
        return switch (kind) {
            case FAILURE -> "non-delivery";
            case DELAY -> "delay";
            case SUCCESS -> "delivery status";
        };
    }

    /**
     * What of the original goes back: the whole message for a failure with RET=FULL within the size
     * limit (RFC 3461 section 4.3), otherwise its header section.
     */
    private DsnBuilder.Returned returned(DsnBuilder.Kind kind, ClaimedMessage message) throws IOException {
        boolean full = kind == DsnBuilder.Kind.FAILURE && message.envelope().parameters().ret() == Ret.FULL
                && message.size() <= settings.returnSizeLimit();
        try (InputStream in = queue.openBody(message.id())) {
            if (full) {
                return new DsnBuilder.Returned.Full(in.readAllBytes());
            }
            return new DsnBuilder.Returned.Headers(DsnBuilder.headerSection(in, MAX_RETURNED_HEADERS));
        }
    }

    private static boolean eightBit(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return true;
            }
        }
        return false;
    }
}
