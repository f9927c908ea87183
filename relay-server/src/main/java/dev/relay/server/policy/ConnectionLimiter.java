package dev.relay.server.policy;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts open connections in total and per client address (RFC 5321 section 4.5.3 asks for
 * bounded resources; Postfix's smtpd_client_connection_count_limit). Thread-safe: connections
 * of every event loop share one limiter.
 */
public final class ConnectionLimiter {

    /** The result of {@link #tryAcquire}. */
    public enum Result { ACCEPTED, TOO_MANY_TOTAL, TOO_MANY_FROM_CLIENT }

    private final int maxTotal;
    private final int maxPerClient;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<InetAddress, Integer> perClient = new ConcurrentHashMap<>();

    public ConnectionLimiter(int maxTotal, int maxPerClient) {
        this.maxTotal = maxTotal;
        this.maxPerClient = maxPerClient;
    }

    /**
     * Takes a slot for a new connection from {@code client}; {@code exempt} clients (trusted
     * networks) only count against the total. On anything but ACCEPTED nothing is held.
     */
    public Result tryAcquire(InetAddress client, boolean exempt) {
        if (total.incrementAndGet() > maxTotal) {
            total.decrementAndGet();
            return Result.TOO_MANY_TOTAL;
        }
        if (exempt) {
            return Result.ACCEPTED;
        }
        boolean[] ok = {true};
        perClient.compute(client, (k, n) -> {
            int c = n == null ? 0 : n;
            if (c >= maxPerClient) {
                ok[0] = false;
                return n;
            }
            return c + 1;
        });
        if (!ok[0]) {
            total.decrementAndGet();
            return Result.TOO_MANY_FROM_CLIENT;
        }
        return Result.ACCEPTED;
    }

    /** Gives back a slot taken by an ACCEPTED {@link #tryAcquire} with the same arguments. */
    public void release(InetAddress client, boolean exempt) {
        total.decrementAndGet();
        if (!exempt) {
            perClient.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
        }
    }

    /** Open connections now. */
    public int total() {
        return total.get();
    }
}
