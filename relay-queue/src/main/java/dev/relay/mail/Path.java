package dev.relay.mail;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A reverse-path or forward-path of RFC 5321 section 4.1.2: {@code "<" [ A-d-l ":" ] Mailbox ">"},
 * the null path {@code <>}, or {@code <postmaster>}.
 *
 * <p>Source routes are first-class: {@code <@hostA,@hostB:user@hostC>} has {@code route}
 * {@code [hostA, hostB]} and mailbox {@code user@hostC}. The RFC 821 section 3.6 relaying operations
 * ({@link #firstHost()}, {@link #withoutFirstHost()}, {@link #withHostPrepended(String)}) return new
 * values; a path is immutable. {@link #toString()} prints the path exactly as RFC 5321 spells it,
 * and {@link #parse(String)} of that text gives an equal value.
 *
 * @param route   the hosts of the source route, in order, as received (no "@"); empty when none
 * @param mailbox the mailbox; null only for the null reverse-path {@code <>}
 */
public record Path(List<String> route, Mailbox mailbox) {

    /** The null reverse-path {@code <>} (RFC 5321 section 4.5.5: notifications use it). */
    public static final Path NULL = new Path(List.of(), null);

    public Path {
        route = List.copyOf(route);
        if (mailbox == null && !route.isEmpty()) {
            throw new IllegalArgumentException("the null path has no route");
        }
    }

    /** A path with no route. */
    public static Path of(Mailbox mailbox) {
        return new Path(List.of(), mailbox);
    }

    /** Parses the argument of MAIL FROM: a Path or {@code <>}. Rejects {@code <postmaster>} without domain. */
    public static Path parseReversePath(String text, boolean smtputf8) throws AddressException {
        return AddressParser.parsePath(text, smtputf8, true, false);
    }

    /** Parses the argument of RCPT TO: a Path or {@code <postmaster>} (any case). Rejects {@code <>}. */
    public static Path parseForwardPath(String text, boolean smtputf8) throws AddressException {
        return AddressParser.parsePath(text, smtputf8, false, true);
    }

    /**
     * Parses any form this class prints ({@code <>}, {@code <postmaster>}, routes, UTF-8): for
     * values read back from the queue.
     */
    public static Path parse(String text) throws AddressException {
        return AddressParser.parsePath(text, true, true, true);
    }

    /**
     * Where the path at the start of {@code argument} ends: the index just after its closing
     * {@code '>'}, skipping quoted strings (a quoted local part may hold {@code '>'} and spaces)
     * and address literals ({@code [tag:a>b]} is a valid General-address-literal), or -1 when {@code argument} does not start with {@code '<'} or the path is not closed. The
     * receiver uses it to split {@code <path> SP parameters}; the path text still goes through
     * {@link #parseReversePath}/{@link #parseForwardPath}.
     */
    public static int endIndex(String argument) {
        return AddressParser.endOfPath(argument);
    }

    public boolean isNull() {
        return mailbox == null;
    }

    public boolean hasRoute() {
        return !route.isEmpty();
    }

    /** RFC 821 section 3.6: the host named first in the route, if there is a route. */
    public Optional<String> firstHost() {
        return route.isEmpty() ? Optional.empty() : Optional.of(route.get(0));
    }

    /** RFC 821 section 3.6: the path with its first route host removed. */
    public Path withoutFirstHost() {
        if (route.isEmpty()) {
            throw new IllegalStateException("no route in " + this);
        }
        return new Path(route.subList(1, route.size()), mailbox);
    }

    /**
     * RFC 821 section 3.6: the path with {@code host} put in front of the route. The null path
     * stays null (RFC 5321 section 4.5.5: a null reverse-path is never made non-null).
     *
     * @throws IllegalArgumentException when {@code host} is not a domain name (RFC 5321 At-domain)
     *                                  or the result would be longer than 256 octets (section 4.5.3.1.3)
     */
    public Path withHostPrepended(String host) {
        if (mailbox == null) {
            return this;
        }
        AddressParser.checkRouteHost(host, this);
        List<String> r = new ArrayList<>(route.size() + 1);
        r.add(host);
        r.addAll(route);
        return new Path(r, mailbox);
    }

    /** The path without any source route (RFC 5321 section 6.1: a bounce goes to the last hop only). */
    public Path withoutRoute() {
        return route.isEmpty() ? this : new Path(List.of(), mailbox);
    }

    /** {@code <@a,@b:u@c>}, {@code <u@c>}, {@code <>} or {@code <postmaster>}. */
    @Override
    public String toString() {
        if (mailbox == null) {
            return "<>";
        }
        StringBuilder b = new StringBuilder("<");
        for (int i = 0; i < route.size(); i++) {
            b.append(i == 0 ? "@" : ",@").append(route.get(i));
        }
        if (!route.isEmpty()) {
            b.append(':');
        }
        return b.append(mailbox).append('>').toString();
    }
}
