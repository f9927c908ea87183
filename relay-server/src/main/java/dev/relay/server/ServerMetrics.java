package dev.relay.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The receiver's meters on the injected Micrometer registry: {@code relay.server.connections}
 * (accepted), {@code relay.server.connections.refused{reason}}, {@code relay.server.connections.active},
 * {@code relay.server.messages.accepted}, {@code relay.server.messages.refused{reason}},
 * {@code relay.server.recipients.refused{reason}} and {@code relay.server.message.bytes} (sizes of
 * accepted messages).
 */
public final class ServerMetrics {
    private final MeterRegistry registry;
    private final Counter connections;
    private final AtomicInteger active = new AtomicInteger();
    private final Counter accepted;
    private final DistributionSummary bytes;

    public ServerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.connections = Counter.builder("relay.server.connections").description("connections accepted").register(registry);
        registry.gauge("relay.server.connections.active", active);
        this.accepted = Counter.builder("relay.server.messages.accepted").description("messages acknowledged with 250 after DATA").register(registry);
        this.bytes = DistributionSummary.builder("relay.server.message.bytes").baseUnit("bytes").description("size of accepted messages").register(registry);
    }

    public void connectionOpened() {
        connections.increment();
        active.incrementAndGet();
    }

    public void connectionClosed() {
        active.decrementAndGet();
    }

    /** A connection refused at connect ({@code total}, {@code client}). */
    public void connectionRefused(String reason) {
        registry.counter("relay.server.connections.refused", "reason", reason).increment();
    }

    public void messageAccepted(long size) {
        accepted.increment();
        bytes.record(size);
    }

    /** A message refused after DATA: {@code size}, {@code line-length}, {@code bare-line-end}, {@code loop}, {@code queue}. */
    public void messageRefused(String reason) {
        registry.counter("relay.server.messages.refused", "reason", reason).increment();
    }

    /** A recipient refused at RCPT: {@code relay}, {@code route}, {@code unknown-user}, {@code limit}. */
    public void recipientRefused(String reason) {
        registry.counter("relay.server.recipients.refused", "reason", reason).increment();
    }

    public MeterRegistry registry() {
        return registry;
    }
}
