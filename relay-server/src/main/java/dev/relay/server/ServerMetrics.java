package dev.relay.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The receiver's meters on the injected Micrometer registry: {@code relay.server.connections}
 * (accepted), {@code relay.server.connections.refused{reason}}, {@code relay.server.connections.active},
 * {@code relay.server.messages.accepted}, {@code relay.server.messages.refused{reason}},
 * {@code relay.server.recipients.refused{reason}}, {@code relay.server.message.bytes} (sizes of
 * accepted messages) and {@code relay.server.messages.accepted.tls} (those of the accepted messages
 * that came over TLS: its rate over that of all accepted messages is the TLS share). Every refusal counter is registered at start with 0, so that a dashboard or an
 * alert on {@code rate(...)} sees the series before the first refusal, not a gap.
 */
public final class ServerMetrics {
    private final MeterRegistry registry;
    private final Counter connections;
    private final AtomicInteger active = new AtomicInteger();
    private final Counter accepted;
    private final Counter acceptedTls;
    private final DistributionSummary bytes;
    private final Map<String, Counter> refusals = new ConcurrentHashMap<>();

    /** The reasons of each refusal counter, registered at 0 (a reason not listed is registered at its first use). */
    static final List<String> CONNECTION_REFUSALS = List.of("total", "client");
    static final List<String> MESSAGE_REFUSALS = List.of("size", "line-length", "bare-line-end", "loop", "queue");
    static final List<String> RECIPIENT_REFUSALS = List.of("relay", "route", "unknown-user", "limit");
    private static final String CONNECTIONS_REFUSED = "relay.server.connections.refused";
    private static final String MESSAGES_REFUSED = "relay.server.messages.refused";
    private static final String RECIPIENTS_REFUSED = "relay.server.recipients.refused";

    public ServerMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.connections = Counter.builder("relay.server.connections").description("connections accepted").register(registry);
        io.micrometer.core.instrument.Gauge.builder("relay.server.connections.active", active, AtomicInteger::get)
                .description("SMTP connections open now").register(registry);
        this.accepted = Counter.builder("relay.server.messages.accepted").description("messages acknowledged with 250 after DATA").register(registry);
        this.acceptedTls = Counter.builder("relay.server.messages.accepted.tls")
                .description("messages acknowledged with 250 after DATA on a TLS connection (STARTTLS or implicit)").register(registry);
        this.bytes = DistributionSummary.builder("relay.server.message.bytes").baseUnit("bytes").description("size of accepted messages").register(registry);
        CONNECTION_REFUSALS.forEach(r -> refusal(CONNECTIONS_REFUSED, r));
        MESSAGE_REFUSALS.forEach(r -> refusal(MESSAGES_REFUSED, r));
        RECIPIENT_REFUSALS.forEach(r -> refusal(RECIPIENTS_REFUSED, r));
    }

    private Counter refusal(String name, String reason) {
        return refusals.computeIfAbsent(name + "|" + reason, k -> Counter.builder(name).tag("reason", reason)
                .description(switch (name) {
                    case CONNECTIONS_REFUSED -> "connections refused at connect, by reason (connection limits)";
                    case MESSAGES_REFUSED -> "messages refused at MAIL or after DATA, by reason";
                    default -> "recipients refused at RCPT, by reason";
                }).register(registry));
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
        refusal(CONNECTIONS_REFUSED, reason).increment();
    }

    public void messageAccepted(long size) {
        accepted.increment();
        bytes.record(size);
    }

    /** A message accepted (as {@link #messageAccepted}) that came over TLS. */
    public void messageAcceptedOverTls() {
        acceptedTls.increment();
    }

    /**
     * A message refused at MAIL (SIZE=) or after DATA: {@code size}, {@code line-length},
     * {@code bare-line-end}, {@code loop}, {@code queue}.
     */
    public void messageRefused(String reason) {
        refusal(MESSAGES_REFUSED, reason).increment();
    }

    /** A recipient refused at RCPT: {@code relay}, {@code route}, {@code unknown-user}, {@code limit}. */
    public void recipientRefused(String reason) {
        refusal(RECIPIENTS_REFUSED, reason).increment();
    }

    public MeterRegistry registry() {
        return registry;
    }
}
