package dev.relay.dist.console;

import dev.relay.dist.config.BadValueException;
import dev.relay.dist.config.Values;
import dev.relay.dist.ops.Json;
import dev.relay.queue.admin.Attempt;
import dev.relay.queue.admin.MessageDetail;
import dev.relay.queue.admin.MessageView;
import dev.relay.queue.admin.QueueAdmin;
import dev.relay.queue.admin.QueueFilter;
import dev.relay.queue.QueueId;
import dev.relay.queue.admin.QueueStats;
import dev.relay.queue.RecipientState;
import dev.relay.queue.admin.RecipientView;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What the console's pages ask for, as JSON, and the actions, on the queue's admin API. Filters
 * are those of {@code relayctl queue}; the table is read a page at a time by keyset (the position
 * of the last row: arrival and queue id), so a queue of a million messages costs one page's rows,
 * never the whole queue. A bulk action walks the matching ids in batches of {@link #BATCH}, each
 * batch one transaction, as {@code relayctl hold --all} does.
 */
final class ConsoleApi {

    /** Rows of one page of the table, unless asked for fewer. */
    static final int PAGE = 50;
    static final int MAX_PAGE = 500;
    /** Messages per transaction of a bulk action. */
    static final int BATCH = 500;
    /** Next hops shown on the overview. */
    static final int TOP_HOPS = 10;

    private final QueueAdmin admin;
    private final Clock clock;

    ConsoleApi(QueueAdmin admin, Clock clock) {
        this.admin = admin;
        this.clock = clock;
    }

    /** A request the console cannot answer as asked: HTTP 400 (or 404, 409) with this text. */
    static final class BadRequest extends RuntimeException {
        final int status;

        BadRequest(int status, String message) {
            super(message);
            this.status = status;
        }

        BadRequest(String message) {
            this(400, message);
        }
    }

    /** The filter of {@code relayctl queue} from the parameters state, from, to, hop, older. */
    static QueueFilter filter(Map<String, String> p) {
        RecipientState state = null;
        String s = blankToNull(p.get("state"));
        if (s != null) {
            state = Arrays.stream(RecipientState.values()).filter(x -> x.name().equalsIgnoreCase(s)).findFirst()
                    .orElseThrow(() -> new BadRequest("state '" + s + "' is not a recipient state (one of: "
                            + Arrays.stream(RecipientState.values()).map(x -> x.name().toLowerCase(Locale.ROOT))
                            .collect(Collectors.joining(", ")) + ")"));
        }
        Duration older = null;
        String o = blankToNull(p.get("older"));
        if (o != null) {
            try {
                older = Values.duration(Duration.ZERO, Duration.ofDays(3650)).parse(o);
            } catch (BadValueException e) {
                throw new BadRequest("older '" + o + "': " + e.getMessage() + " (" + e.todo() + ")");
            }
        }
        return new QueueFilter(state, blankToNull(p.get("from")), blankToNull(p.get("to")), older, blankToNull(p.get("hop")));
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    /** A queue id in any case, as relayctl takes it. */
    static QueueId id(String text) {
        try {
            return new QueueId(text.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadRequest("'" + text + "' is not a queue id (6 to 20 letters and digits)");
        }
    }

    /** The overview: recipients by state, oldest age, the next hops with most waiting mail, this node. */
    String overview(String node) {
        QueueStats stats = admin.stats(List.of());
        List<MessageView> oldest = admin.list(QueueFilter.ALL, 0, 1);
        Instant now = clock.instant();
        StringBuilder b = new StringBuilder("{\"now\":").append(now.getEpochSecond());
        b.append(",\"node\":").append(node);
        b.append(",\"states\":{");
        boolean first = true;
        for (RecipientState s : RecipientState.values()) {
            b.append(first ? "" : ",").append(Json.string(lower(s))).append(':').append(stats.byState().getOrDefault(s, 0L));
            first = false;
        }
        b.append("},\"oldest_age\":").append(oldest.isEmpty() ? "null"
                : Long.toString(Math.max(0, Duration.between(oldest.get(0).arrival(), now).toSeconds())));
        b.append(",\"oldest_id\":").append(oldest.isEmpty() ? "null" : Json.string(oldest.get(0).id().value()));
        List<Map.Entry<String, Long>> hops = stats.byNextHop().entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .limit(TOP_HOPS).toList();
        b.append(",\"hops\":[");
        for (int i = 0; i < hops.size(); i++) {
            String hop = hops.get(i).getKey();
            b.append(i == 0 ? "" : ",").append("{\"hop\":").append(Json.string(hop))
                    .append(",\"recipients\":").append(hops.get(i).getValue())
                    .append(",\"last_reply\":").append(Json.string(lastReply(hop))).append('}');
        }
        return b.append("]}").toString();
    }

    /** The reply of a deferred recipient last tried at {@code hop} ("-": not tried yet), or null. */
    private String lastReply(String hop) {
        if (hop.equals("-")) {
            return null;
        }
        for (MessageView m : admin.list(new QueueFilter(RecipientState.DEFERRED, null, null, null, hop), 0, 1)) {
            for (RecipientView r : m.recipients()) {
                if (hop.equals(r.lastNextHop()) && r.lastReply() != null) {
                    return r.lastReply().toString();
                }
            }
        }
        return null;
    }

    /** One page of the table: {@code items}, and {@code next} (the cursor of the next page) or null. */
    String messages(Map<String, String> p) {
        QueueFilter f = filter(p);
        int limit = PAGE;
        if (p.get("limit") != null) {
            try {
                limit = Integer.parseInt(p.get("limit").strip());
            } catch (NumberFormatException e) {
                throw new BadRequest("limit '" + p.get("limit") + "' is not a number");
            }
            if (limit < 1 || limit > MAX_PAGE) {
                throw new BadRequest("limit " + limit + " is out of range 1.." + MAX_PAGE);
            }
        }
        MessageView after = cursor(p.get("after"));
        List<MessageView> page = admin.listAfter(f, after, limit + 1);
        boolean more = page.size() > limit;
        List<MessageView> shown = more ? page.subList(0, limit) : page;
        StringBuilder b = new StringBuilder(256 * shown.size() + 64).append("{\"items\":[");
        for (int i = 0; i < shown.size(); i++) {
            b.append(i == 0 ? "" : ",");
            view(b, shown.get(i));
        }
        b.append("],\"next\":");
        b.append(more ? Json.string(cursorOf(shown.get(shown.size() - 1))) : "null");
        return b.append('}').toString();
    }

    /** The position after a row: {@code ARRIVAL_MILLIS.QUEUE_ID}. */
    static String cursorOf(MessageView m) {
        return m.arrival().toEpochMilli() + "." + m.id().value();
    }

    private static MessageView cursor(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        int dot = text.indexOf('.');
        try {
            long millis = Long.parseLong(text.substring(0, dot));
            return new MessageView(id(text.substring(dot + 1)), 0, Instant.ofEpochMilli(millis), null, List.of());
        } catch (RuntimeException e) {
            throw new BadRequest("after '" + text + "' is not a position in the table (reload the page)");
        }
    }

    /** How many messages the filter matches: what a bulk action would touch. */
    String count(Map<String, String> p) {
        return "{\"messages\":" + admin.count(filter(p)) + "}";
    }

    /** One message in full, or a 404. */
    String message(String idText) {
        QueueId id = id(idText);
        MessageDetail d = admin.show(id).orElseThrow(() -> new BadRequest(404, id + " is not in the queue"
                + " (delivered, bounced or deleted)"));
        StringBuilder b = new StringBuilder(4096);
        view(b, d.view());
        b.setLength(b.length() - 1); // reopen the object
        var env = d.envelope();
        b.append(",\"parameters\":").append(Json.string(env.parameters() == null ? "" : env.parameters().toString()));
        var o = env.origin();
        if (o != null) {
            b.append(",\"client\":{\"address\":").append(Json.string(o.clientAddress()))
                    .append(",\"helo\":").append(Json.string(o.heloName()))
                    .append(",\"protocol\":").append(Json.string(o.protocol()))
                    .append(",\"user\":").append(Json.string(o.authUser())).append('}');
        } else {
            b.append(",\"client\":null");
        }
        Map<Long, String> byId = d.view().recipients().stream()
                .collect(Collectors.toMap(RecipientView::id, r -> r.forwardPath().toString()));
        b.append(",\"history\":[");
        for (int i = 0; i < d.history().size(); i++) {
            Attempt a = d.history().get(i);
            b.append(i == 0 ? "" : ",").append("{\"time\":").append(a.time().getEpochSecond())
                    .append(",\"recipient\":").append(Json.string(byId.get(a.recipientId())))
                    .append(",\"next_hop\":").append(Json.string(a.nextHop()))
                    .append(",\"outcome\":").append(Json.string(lower(a.outcome())))
                    .append(",\"reply\":").append(a.reply() == null ? "null" : Json.string(a.reply().toString()))
                    .append('}');
        }
        b.append("],\"headers\":").append(Json.string(d.headers() == null ? "" : d.headers()));
        return b.append('}').toString();
    }

    private static void view(StringBuilder b, MessageView m) {
        b.append("{\"id\":").append(Json.string(m.id().value()))
                .append(",\"arrival\":").append(m.arrival().getEpochSecond())
                .append(",\"size\":").append(m.size())
                .append(",\"sender\":").append(Json.string(m.reversePath() == null ? "" : m.reversePath().toString()))
                .append(",\"recipients\":[");
        for (int i = 0; i < m.recipients().size(); i++) {
            RecipientView r = m.recipients().get(i);
            b.append(i == 0 ? "" : ",").append("{\"address\":").append(Json.string(r.forwardPath().toString()))
                    .append(",\"state\":").append(Json.string(lower(r.state())))
                    .append(",\"attempts\":").append(r.attempts())
                    .append(",\"next_attempt\":").append(r.nextAttempt() == null || r.state().isFinal() ? "null"
                            : Long.toString(r.nextAttempt().getEpochSecond()))
                    .append(",\"last_reply\":").append(r.lastReply() == null ? "null" : Json.string(r.lastReply().toString()))
                    .append(",\"next_hop\":").append(Json.string(r.lastNextHop()))
                    .append('}');
        }
        b.append("]}");
    }

    private static String lower(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    /** The actions, by the name the page posts. */
    enum Action {
        RETRY, HOLD, RELEASE, DELETE, BOUNCE;

        static Action of(String name) {
            for (Action a : values()) {
                if (a.name().equalsIgnoreCase(name == null ? "" : name.strip())) {
                    return a;
                }
            }
            throw new BadRequest("action '" + name + "' is not one of retry, hold, release, delete, bounce");
        }
    }

    /**
     * Runs an action on the messages named by {@code id} (one or more, comma-separated) or, with
     * {@code scope=filter}, on every message the filter matches. A filtered action carries
     * {@code expect}, the count the confirmation showed: when the filter now matches another
     * number, nothing is done (409) and the answer says the new count, so that an administrator
     * never acts on more than the confirmation said.
     */
    String act(Map<String, String> p) {
        Action action = Action.of(p.get("action"));
        String reason = blankToNull(p.get("reason"));
        long messages = 0;
        long recipients = 0;
        if ("filter".equals(p.get("scope"))) {
            QueueFilter f = filter(p);
            long now = admin.count(f);
            String expect = p.get("expect");
            if (expect == null || !expect.strip().equals(Long.toString(now))) {
                throw new BadRequest(409, "the selection now holds " + now + " messages, not " + expect
                        + ": nothing was done; confirm again");
            }
            QueueId after = null;
            for (long rounds = 0; rounds <= now / BATCH + 1; rounds++) {
                List<QueueId> ids = admin.ids(f, after, BATCH);
                if (ids.isEmpty()) {
                    break;
                }
                after = ids.get(ids.size() - 1);
                int[] done = apply(action, ids, reason);
                messages += done[0];
                recipients += done[1];
                if (ids.size() < BATCH) {
                    break;
                }
            }
        } else {
            String ids = p.get("id");
            if (ids == null || ids.isBlank()) {
                throw new BadRequest("no message: give id=QUEUEID (or scope=filter with the filter)");
            }
            List<QueueId> list = new ArrayList<>();
            for (String s : ids.split(",")) {
                if (!s.isBlank()) {
                    list.add(id(s));
                }
            }
            if (list.size() > MAX_PAGE) {
                throw new BadRequest(list.size() + " ids in one request: at most " + MAX_PAGE + " (use the filter)");
            }
            int[] done = apply(action, list, reason);
            messages = done[0];
            recipients = done[1];
        }
        return "{\"action\":" + Json.string(lower(action)) + ",\"messages\":" + messages + ",\"recipients\":" + recipients + "}";
    }

    /** {messages touched, recipients changed}: delete counts messages, the others recipients. */
    private int[] apply(Action action, Collection<QueueId> ids, String reason) {
        return switch (action) {
            case RETRY -> new int[] {ids.size(), admin.retry(ids)};
            case HOLD -> new int[] {ids.size(), admin.hold(ids)};
            case RELEASE -> new int[] {ids.size(), admin.release(ids)};
            case BOUNCE -> new int[] {ids.size(), admin.bounce(ids, reason)};
            case DELETE -> {
                int n = admin.delete(ids);
                yield new int[] {n, 0};
            }
        };
    }

    /** The stored message (headers and body), at most {@code max} bytes; empty when it is gone. */
    Optional<java.io.InputStream> body(String idText) {
        return admin.body(id(idText));
    }
}
