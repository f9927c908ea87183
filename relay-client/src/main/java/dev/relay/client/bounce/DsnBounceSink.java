package dev.relay.client.bounce;

import dev.relay.client.delivery.BounceSink;
import dev.relay.client.delivery.RecipientReport;
import dev.relay.queue.ClaimedMessage;
import dev.relay.queue.QueueException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The delivery engine's {@link BounceSink}, served by the {@link DsnService}: each result kind maps
 * onto one RFC 3464 action. When a "failed" DSN could not be stored it throws, so that the engine
 * keeps the failed recipients deferred instead of final and the bounce is tried again.
 */
public final class DsnBounceSink implements BounceSink {

    private final DsnService dsn;

    public DsnBounceSink(DsnService dsn) {
        this.dsn = dsn;
    }

    @Override
    public Set<Long> report(ClaimedMessage message, List<RecipientReport> reports) {
        List<DeliveryReport> mapped = new ArrayList<>(reports.size());
        for (RecipientReport r : reports) {
            mapped.add(switch (r.kind()) {
                case DELIVERED_LOCALLY -> DeliveryReport.deliveredLocally(r.recipient(), r.reply(), r.attemptTime());
                case RELAYED -> DeliveryReport.relayed(r.recipient(), r.reply(), r.remoteMta(), r.nextHopOfferedDsn(),
                        r.attemptTime());
                case FAILED -> DeliveryReport.failed(r.recipient(), r.reply(), r.remoteMta(), r.attemptTime());
                case EXPIRED -> DeliveryReport.expired(r.recipient(), r.reply(), r.remoteMta(), r.attemptTime());
                case DEFERRED -> DeliveryReport.deferred(r.recipient(), r.reply(), r.remoteMta(), r.attemptTime(),
                        r.willRetryUntil());
            });
        }
        DsnService.Sent sent = dsn.send(message, mapped);
        if (!sent.failuresStored()) {
            throw new QueueException(QueueException.Kind.IO,
                    message.id() + ": the non-delivery notification could not be stored; failed recipients stay deferred",
                    null);
        }
        return sent.delayNoticeSent();
    }
}
