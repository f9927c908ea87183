package dev.relay.dist;

import dev.relay.client.bounce.DeliveryReport;
import dev.relay.client.bounce.DsnService;
import dev.relay.client.delivery.BounceSink;
import dev.relay.client.delivery.RecipientReport;
import dev.relay.queue.QueueException;
import java.util.ArrayList;
import java.util.List;

/**
 * The delivery engine's bounces, served by the DSN service (RFC 3464): each result of an attempt
 * becomes the report the DSN service expects. When a "failed" DSN could not be stored this throws,
 * so that the engine keeps those recipients deferred and no bounce is lost. (The same adapter is
 * being added to relay-client as DsnBounceSink; relay-dist switches to it once it is on main.)
 */
final class Bounces {

    private Bounces() {
    }

    static BounceSink sink(DsnService dsn) {
        return (message, reports) -> {
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
                throw new QueueException(QueueException.Kind.IO, message.id()
                        + ": the non-delivery notification could not be stored; failed recipients stay deferred", null);
            }
            return sent.delayNoticeSent();
        };
    }
}
