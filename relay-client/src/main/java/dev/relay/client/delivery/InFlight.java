package dev.relay.client.delivery;

import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The recipients claimed from the queue and not yet reported back. A recipient in our hands is
 * never handed out twice, even if its lease ran out and a later claim returned it again; the
 * count bounds how much the scheduler claims ({@link DeliverySettings#maxPendingRecipients()}).
 */
final class InFlight {

    private final Set<Long> ids = ConcurrentHashMap.newKeySet();
    private final AtomicInteger pending = new AtomicInteger();
    private final Runnable onForgotten;

    /** @param onForgotten run after recipients were reported back (wakes the scheduler: there is room again) */
    InFlight(Runnable onForgotten) {
        this.onForgotten = onForgotten;
    }

    /** Takes a claimed recipient in hand; false when it is in our hands already (from an earlier claim). */
    boolean admit(long id) {
        if (!ids.add(id)) {
            return false;
        }
        pending.incrementAndGet();
        return true;
    }

    /** Recipients reported back (completed or released). */
    void forget(Collection<Long> done) {
        ids.removeAll(done);
        pending.addAndGet(-done.size());
        onForgotten.run();
    }

    /** Claimed recipients not yet reported back. */
    int pending() {
        return pending.get();
    }

    /** The counter itself, for the gauge. */
    AtomicInteger counter() {
        return pending;
    }
}
