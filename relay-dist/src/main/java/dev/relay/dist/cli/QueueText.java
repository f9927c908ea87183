package dev.relay.dist.cli;

import dev.relay.dist.ops.Json;
import dev.relay.mail.SmtpReply;
import dev.relay.queue.admin.Attempt;
import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.admin.MessageView;
import dev.relay.queue.admin.RecipientView;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.stream.Collectors;

/** How relayctl prints queue entries: a mailq-like text layout, and JSON Lines like {@code postqueue -j}. */
final class QueueText {
    private QueueText() {
    }

    static final String HEADER = String.format("%-20s %10s  %-20s  %s", "QUEUE ID", "SIZE", "ARRIVAL", "SENDER / RECIPIENTS");

    static String time(Instant t) {
        return t == null ? "-" : t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    static String state(RecipientView r) {
        return r.state().name().toLowerCase(Locale.ROOT);
    }

    /** One message: the id line, then one line per recipient and, when there is one, its last reply. */
    static void printMessage(PrintWriter out, MessageView m) {
        out.printf("%-20s %10d  %-20s  %s%n", m.id(), m.size(), time(m.arrival()), m.reversePath());
        for (RecipientView r : m.recipients()) {
            StringBuilder b = new StringBuilder();
            b.append(String.format("%-20s %10s  %-20s  %s", "", state(r), r.nextAttempt() == null || r.state().isFinal()
                    ? "" : "next " + time(r.nextAttempt()), r.forwardPath()));
            if (r.attempts() > 0) {
                b.append(", attempts=").append(r.attempts());
            }
            out.println(b.toString().stripTrailing());
            if (r.lastReply() != null) {
                out.printf("%-20s %10s  (%s%s)%n", "", "", r.lastReply(), r.lastNextHop() == null ? "" : ", at " + r.lastNextHop());
            }
        }
    }

    /** One message as one JSON object on one line. */
    static String json(MessageView m) {
        StringBuilder b = new StringBuilder("{");
        head(b, m);
        return b.append('}').toString();
    }

    /** The fields of {@link #json(MessageView)}, without the braces. */
    private static void head(StringBuilder b, MessageView m) {
        b.append("\"queue_id\":").append(Json.string(m.id().value()));
        b.append(",\"arrival_time\":").append(Json.string(time(m.arrival())));
        b.append(",\"message_size\":").append(m.size());
        b.append(",\"sender\":").append(Json.string(m.reversePath().toString()));
        b.append(",\"recipients\":[");
        for (int i = 0; i < m.recipients().size(); i++) {
            RecipientView r = m.recipients().get(i);
            if (i > 0) {
                b.append(',');
            }
            b.append("{\"address\":").append(Json.string(r.forwardPath().toString()));
            b.append(",\"state\":").append(Json.string(state(r)));
            b.append(",\"attempts\":").append(r.attempts());
            b.append(",\"next_attempt\":").append(r.nextAttempt() == null ? "null" : Json.string(time(r.nextAttempt())));
            b.append(",\"last_reply\":").append(r.lastReply() == null ? "null" : Json.string(r.lastReply().toString()));
            b.append(",\"next_hop\":").append(Json.string(r.lastNextHop()));
            b.append(",\"orcpt\":").append(Json.string(r.orcpt()));
            b.append(",\"notify\":").append(Json.string(r.notifyOn()));
            b.append('}');
        }
        b.append(']');
    }

    /**
     * {@code relayctl show --json}: the fields of {@code queue --json}, then {@code "parameters"},
     * {@code "client"}, {@code "history"} and {@code "headers"}, as one object on one line.
     */
    static String json(MessageDetail d) {
        MessageView m = d.view();
        StringBuilder b = new StringBuilder("{");
        head(b, m);
        var env = d.envelope();
        String params = env.parameters() == null ? "" : env.parameters().toString();
        b.append(",\"parameters\":").append(Json.string(params));
        var o = env.origin();
        if (o == null) {
            b.append(",\"client\":null");
        } else {
            b.append(",\"client\":{\"address\":").append(Json.string(o.clientAddress()))
                    .append(",\"helo\":").append(Json.string(o.heloName()))
                    .append(",\"protocol\":").append(Json.string(o.protocol()))
                    .append(",\"user\":").append(Json.string(o.authUser())).append('}');
        }
        var byId = m.recipients().stream()
                .collect(Collectors.toMap(RecipientView::id, r -> r.forwardPath().toString()));
        b.append(",\"history\":[");
        for (int i = 0; i < d.history().size(); i++) {
            Attempt a = d.history().get(i);
            b.append(i == 0 ? "" : ",").append("{\"time\":").append(Json.string(time(a.time())))
                    .append(",\"recipient\":").append(Json.string(byId.get(a.recipientId())))
                    .append(",\"next_hop\":").append(Json.string(a.nextHop()))
                    .append(",\"outcome\":").append(Json.string(a.outcome().name().toLowerCase(Locale.ROOT)))
                    .append(",\"reply\":").append(a.reply() == null ? "null" : Json.string(a.reply().toString()))
                    .append('}');
        }
        b.append("],\"headers\":").append(Json.string(d.headers() == null ? "" : d.headers()));
        return b.append('}').toString();
    }

    /** {@code relayctl show}: envelope, recipients, history, headers. */
    static void printDetail(PrintWriter out, MessageDetail d) {
        MessageView m = d.view();
        var env = d.envelope();
        var o = env.origin();
        out.printf("queue id:    %s%n", m.id());
        out.printf("arrival:     %s%n", time(m.arrival()));
        out.printf("size:        %d bytes%n", m.size());
        String params = env.parameters() == null ? "" : env.parameters().toString();
        out.printf("sender:      %s%s%n", env.reversePath(), params.isEmpty() ? "" : " " + params);
        if (o != null) {
            out.printf("client:      %s, helo=%s, protocol=%s%s%n", o.clientAddress(), o.heloName(), o.protocol(),
                    o.authUser() == null ? "" : ", user=" + o.authUser());
        }
        out.println("recipients:");
        for (RecipientView r : m.recipients()) {
            out.printf("  %s  %s, attempts=%d%s%s%s%n", r.forwardPath(), state(r), r.attempts(),
                    r.nextAttempt() == null || r.state().isFinal() ? "" : ", next " + time(r.nextAttempt()),
                    r.orcpt() == null ? "" : ", orcpt=" + r.orcpt(),
                    r.notifyOn() == null || r.notifyOn().isEmpty() ? "" : ", notify=" + r.notifyOn());
            if (r.lastReply() != null) {
                out.printf("      last reply: %s%s%n", r.lastReply(), r.lastNextHop() == null ? "" : " (at " + r.lastNextHop() + ")");
            }
        }
        out.println("history:");
        if (d.history().isEmpty()) {
            out.println("  (no attempt yet)");
        }
        var byId = m.recipients().stream().collect(Collectors.toMap(RecipientView::id, r -> r.forwardPath().toString()));
        for (Attempt a : d.history()) {
            SmtpReply reply = a.reply();
            out.printf("  %s  %s  %s  %s%s%n", time(a.time()), byId.getOrDefault(a.recipientId(), "#" + a.recipientId()),
                    a.nextHop() == null ? "-" : a.nextHop(), a.outcome().name().toLowerCase(Locale.ROOT),
                    reply == null ? "" : " (" + reply + ")");
        }
        out.println("headers:");
        String headers = d.headers() == null ? "" : d.headers();
        for (String line : headers.split("\r?\n")) {
            if (!line.isEmpty()) {
                out.println("  " + line);
            }
        }
    }
}
