package dev.relay.client.routing;

import dev.relay.client.tls.TlsPolicy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The route table: which next hop a domain goes to, read from a file mail administrators can read
 * and write, in the spirit of Postfix's transport maps.
 *
 * <pre>
 * # pattern        next hop              options
 * example.org      [10.0.0.5]:25         tls=required concurrency=5
 * .example.org     relay.example.net:25
 * *                smarthost.example.net:587 tls=required auth=smarthost
 * </pre>
 *
 * <p>A pattern is a domain (that domain only), {@code .domain} (every subdomain of it, not the
 * domain itself) or {@code *} (the default, a smarthost). Lookup tries the exact domain, then each
 * parent as {@code .parent}, nearest first, then {@code *}. A next hop {@code host:port} means MX
 * lookup on {@code host}; {@code [host]:port} means that host itself; the port defaults to 25.
 * Options: {@code tls=none|opportunistic|required|implicit}, {@code auth=NAME} (a credential entry,
 * for the security issue), {@code concurrency=N}. Everything after {@code #} is a comment; names
 * compare case-insensitively. Every error names the file, the line and what is wrong.
 */
public final class RouteTable {

    /** One line of the table. */
    public record Entry(String pattern, NextHop nextHop, String source, int line) {
        /** {@code routes:12} */
        public String location() {
            return source + ":" + line;
        }
    }

    /** The empty table: every domain goes to DNS. */
    public static final RouteTable EMPTY = new RouteTable(Map.of(), List.of());

    private final Map<String, Entry> byPattern;
    private final List<Entry> entries;

    private RouteTable(Map<String, Entry> byPattern, List<Entry> entries) {
        this.byPattern = Map.copyOf(byPattern);
        this.entries = List.copyOf(entries);
    }

    /** Reads and validates a route table file. */
    public static RouteTable load(Path file) throws RouteTableException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RouteTableException(file + ": cannot read the route table: " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /** Parses route table text; {@code source} names it in error messages. */
    public static RouteTable parse(String text, String source) throws RouteTableException {
        Map<String, Entry> byPattern = new HashMap<>();
        List<Entry> entries = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = lines[i];
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            String where = source + ":" + lineNo + ": ";
            String[] f = line.split("\\s+");
            try {
                if (f.length < 2) {
                    throw new RouteTableException(where + "expected \"PATTERN NEXTHOP [OPTION=VALUE...]\", got \"" + line + "\"");
                }
                String pattern = parsePattern(f[0], where);
                NextHop hop = parseNextHop(f[1], java.util.Arrays.copyOfRange(f, 2, f.length), where);
                Entry e = new Entry(pattern, hop, source, lineNo);
                Entry old = byPattern.putIfAbsent(pattern, e);
                if (old != null) {
                    throw new RouteTableException(where + "pattern \"" + f[0] + "\" is already routed at line " + old.line());
                }
                entries.add(e);
            } catch (RouteTableException bad) {
                problems.add(bad.getMessage()); // go on: a table with five bad lines reports all five
            }
        }
        if (!problems.isEmpty()) {
            throw new RouteTableException(problems);
        }
        return new RouteTable(byPattern, entries);
    }

    private static String parsePattern(String p, String where) throws RouteTableException {
        if (p.equals("*")) {
            return p;
        }
        String body = p.startsWith(".") ? p.substring(1) : p;
        if (!isHostName(Domains.normalize(body))) {
            throw new RouteTableException(where + "bad pattern \"" + p + "\": expected a domain, .domain or *");
        }
        return (p.startsWith(".") ? "." : "") + Domains.normalize(body);
    }

    /** Parses {@code host[:port]} or {@code [host][:port]} and the options. */
    static NextHop parseNextHop(String spec, String[] options, String where) throws RouteTableException {
        boolean direct = spec.startsWith("[");
        String host;
        String rest;
        if (direct) {
            int close = spec.indexOf(']');
            if (close < 0) {
                throw new RouteTableException(where + "bad next hop \"" + spec + "\": missing \"]\"");
            }
            host = spec.substring(1, close);
            if (host.regionMatches(true, 0, "IPv6:", 0, 5)) {
                host = host.substring(5);
            }
            rest = spec.substring(close + 1);
        } else {
            int colon = spec.indexOf(':');
            host = colon < 0 ? spec : spec.substring(0, colon);
            rest = colon < 0 ? "" : spec.substring(colon);
        }
        boolean ipv6 = direct && host.contains(":");
        if (host.isEmpty() || !(ipv6 || isHostName(Domains.normalize(host)))) {
            throw new RouteTableException(where + "bad next hop \"" + spec + "\": expected host:port or [host]:port");
        }
        int port = NextHop.SMTP_PORT;
        if (!rest.isEmpty()) {
            if (!rest.startsWith(":") || !rest.substring(1).matches("\\d{1,5}")
                    || Integer.parseInt(rest.substring(1)) < 1 || Integer.parseInt(rest.substring(1)) > 65535) {
                throw new RouteTableException(where + "bad port in next hop \"" + spec + "\": expected 1..65535");
            }
            port = Integer.parseInt(rest.substring(1));
        }
        TlsPolicy tls = null;
        String auth = null;
        int concurrency = 0;
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String opt : options) {
            int eq = opt.indexOf('=');
            if (eq <= 0 || eq == opt.length() - 1) {
                throw new RouteTableException(where + "bad option \"" + opt + "\": expected NAME=VALUE");
            }
            String name = opt.substring(0, eq).toLowerCase(java.util.Locale.ROOT);
            String value = opt.substring(eq + 1);
            if (!seen.add(name)) {
                throw new RouteTableException(where + "option \"" + name + "\" given twice");
            }
            switch (name) {
                case "tls" -> {
                    try {
                        tls = TlsPolicy.parse(value);
                    } catch (IllegalArgumentException e) {
                        throw new RouteTableException(where + "bad tls=\"" + value
                                + "\": expected none, opportunistic, required or implicit");
                    }
                }
                case "auth" -> auth = value;
                case "concurrency" -> {
                    if (!value.matches("\\d{1,6}") || Integer.parseInt(value) < 1) {
                        throw new RouteTableException(where + "bad concurrency=\"" + value + "\": expected a number >= 1");
                    }
                    concurrency = Integer.parseInt(value);
                }
                default -> throw new RouteTableException(where + "unknown option \"" + name
                        + "\": expected tls=, auth= or concurrency=");
            }
        }
        return new NextHop(direct ? host : Domains.normalize(host), port, !direct, tls, auth, concurrency);
    }

    /** A DNS name (letters, digits, hyphens, dots) or an IPv4 address; no empty labels. */
    static boolean isHostName(String s) {
        return s != null && !s.isEmpty() && s.length() <= 255
                && s.matches("[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*");
    }

    /** The entry for {@code domain}: exact, then {@code .parent} nearest first, then {@code *}. */
    public Optional<Entry> lookup(String domain) {
        String d = Domains.normalize(domain);
        Entry e = byPattern.get(d);
        if (e != null) {
            return Optional.of(e);
        }
        for (int dot = d.indexOf('.'); dot >= 0; dot = d.indexOf('.', dot + 1)) {
            e = byPattern.get(d.substring(dot));
            if (e != null) {
                return Optional.of(e);
            }
        }
        return Optional.ofNullable(byPattern.get("*"));
    }

    /** The entries in file order. */
    public List<Entry> entries() {
        return entries;
    }
}
