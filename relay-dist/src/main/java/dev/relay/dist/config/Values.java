package dev.relay.dist.config;

import dev.relay.server.policy.Cidr;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The value types of the configuration, with the spellings admins know from Postfix: sizes like
 * {@code 50M}, durations like {@code 5m}, {@code 4h}, {@code 5d} (a bare number is seconds),
 * {@code yes}/{@code no}, lists separated by commas and/or white space.
 */
public final class Values {

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmgt]?)(i?b)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d|w)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    private Values() {
    }

    /** Splits a list value at commas and white space; empty items are dropped. */
    public static List<String> split(String text) {
        return Arrays.stream(text.split("[,\\s]+")).filter(s -> !s.isEmpty()).toList();
    }

    /** Any text that is not empty. */
    public static ValueType<String> text() {
        return t -> {
            if (t.isEmpty()) {
                throw new BadValueException("is empty", "give it a value, or remove the line to use the default");
            }
            return t;
        };
    }

    /** A size in bytes: {@code 1024}, {@code 10k}, {@code 50M}, {@code 1G} (powers of 1024). */
    public static ValueType<Long> size(long min, long max) {
        return t -> {
            Matcher m = SIZE.matcher(t);
            if (!m.matches()) {
                throw new BadValueException("'" + t + "' is not a size", "write a number of bytes or a size such as 512k, 50M or 1G");
            }
            int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "k" -> 10;
                case "m" -> 20;
                case "g" -> 30;
                case "t" -> 40;
                default -> 0;
            };
            long n;
            try {
                n = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                throw new BadValueException("'" + t + "' is too large", "write a size up to " + human(max));
            }
            if (n > (Long.MAX_VALUE >> shift)) {
                throw new BadValueException("'" + t + "' is too large", "write a size up to " + human(max));
            }
            long bytes = n << shift;
            if (bytes < min || bytes > max) {
                throw new BadValueException("'" + t + "' is out of range", "write a size from " + human(min) + " to " + human(max));
            }
            return bytes;
        };
    }

    /** A duration: {@code 30s}, {@code 5m}, {@code 4h}, {@code 5d}, {@code 1w}, {@code 250ms}; a bare number is seconds, as in Postfix. */
    public static ValueType<Duration> duration(Duration min, Duration max) {
        return t -> {
            Matcher m = DURATION.matcher(t);
            if (!m.matches()) {
                throw new BadValueException("'" + t + "' is not a duration", "write a number with a unit: 30s, 5m, 4h, 5d");
            }
            long n;
            try {
                n = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                throw new BadValueException("'" + t + "' is too long", "write at most " + human(max));
            }
            String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
            Duration d;
            try {
                d = switch (unit) {
                    case "ms" -> Duration.ofMillis(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    case "d" -> Duration.ofDays(n);
                    case "w" -> Duration.ofDays(Math.multiplyExact(n, 7));
                    default -> Duration.ofSeconds(n);
                };
            } catch (ArithmeticException e) {
                throw new BadValueException("'" + t + "' is too long", "write at most " + human(max));
            }
            if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
                throw new BadValueException("'" + t + "' is out of range", "write a duration from " + human(min) + " to " + human(max));
            }
            return d;
        };
    }

    /** A whole number in {@code [min, max]}. */
    public static ValueType<Integer> integer(int min, int max) {
        return t -> {
            int n;
            try {
                n = Integer.parseInt(t);
            } catch (NumberFormatException e) {
                throw new BadValueException("'" + t + "' is not a whole number", "write a number from " + min + " to " + max);
            }
            if (n < min || n > max) {
                throw new BadValueException(n + " is out of range", "write a number from " + min + " to " + max);
            }
            return n;
        };
    }

    /** {@code yes}/{@code no} (also {@code true}/{@code false}, {@code on}/{@code off}). */
    public static ValueType<Boolean> bool() {
        return t -> switch (t.toLowerCase(Locale.ROOT)) {
            case "yes", "true", "on" -> true;
            case "no", "false", "off" -> false;
            default -> throw new BadValueException("'" + t + "' is not yes or no", "write yes or no");
        };
    }

    /** One of the constants of an enum, case-insensitive, written in lower case in the docs. */
    public static <E extends Enum<E>> ValueType<E> oneOf(Class<E> type) {
        return t -> {
            for (E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(t)) {
                    return e;
                }
            }
            throw new BadValueException("'" + t + "' is not one of " + names(type), "write one of " + names(type));
        };
    }

    private static <E extends Enum<E>> String names(Class<E> type) {
        return String.join(", ", Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
    }

    /** A DNS host name (RFC 1035 labels), returned in lower case without a trailing dot. */
    public static ValueType<String> hostname() {
        return t -> {
            String h = t.toLowerCase(Locale.ROOT);
            if (h.endsWith(".")) {
                h = h.substring(0, h.length() - 1);
            }
            if (h.isEmpty() || h.length() > 253) {
                throw new BadValueException("'" + t + "' is not a host name", "write a name such as mx1.example.org");
            }
            for (String label : h.split("\\.", -1)) {
                if (!LABEL.matcher(label).matches()) {
                    throw new BadValueException("'" + t + "' is not a host name", "write a name such as mx1.example.org (letters, digits, hyphens and dots)");
                }
            }
            return h;
        };
    }

    /** A list of domain names; a leading dot ({@code .example.org}) is kept: it stands for the subdomains. */
    public static ValueType<List<String>> domains() {
        ValueType<String> host = hostname();
        return t -> {
            List<String> out = new ArrayList<>();
            for (String item : split(t)) {
                boolean sub = item.startsWith(".");
                String name = host.parse(sub ? item.substring(1) : item);
                out.add(sub ? "." + name : name);
            }
            return List.copyOf(out);
        };
    }

    /** A list of networks in CIDR notation; a bare address is one host (/32 or /128). */
    public static ValueType<List<Cidr>> networks() {
        return t -> {
            List<Cidr> out = new ArrayList<>();
            for (String item : split(t)) {
                String addr = item;
                String prefix = null;
                int slash = item.indexOf('/');
                if (slash >= 0) {
                    addr = item.substring(0, slash);
                    prefix = item.substring(slash + 1);
                }
                if (addr.startsWith("[") && addr.endsWith("]")) {
                    addr = addr.substring(1, addr.length() - 1);
                }
                InetAddress a = ipLiteral(addr, item, "write networks such as 127.0.0.0/8, 192.0.2.0/24, ::1/128");
                int max = a.getAddress().length * 8;
                int len = max;
                if (prefix != null) {
                    try {
                        len = Integer.parseInt(prefix);
                    } catch (NumberFormatException e) {
                        len = -1;
                    }
                    if (len < 0 || len > max) {
                        throw new BadValueException("'" + item + "' has a bad prefix length", "write a prefix length from 0 to " + max);
                    }
                }
                out.add(Cidr.parse(network(a, len).getHostAddress() + "/" + len));
            }
            return List.copyOf(out);
        };
    }

    /** The network part of {@code address}: its first {@code prefix} bits, the rest zero (192.0.2.77/24 is 192.0.2.0/24). */
    private static InetAddress network(InetAddress address, int prefix) {
        byte[] b = address.getAddress();
        for (int i = 0; i < b.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            b[i] &= (byte) (0xff << (8 - bits));
        }
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A list of {@code address:port} ({@code [v6]:port} for IPv6); addresses are IP literals, never looked up. */
    public static ValueType<List<InetSocketAddress>> socketAddresses() {
        return t -> {
            List<InetSocketAddress> out = new ArrayList<>();
            for (String item : split(t)) {
                out.add(socketAddress(item));
            }
            if (out.isEmpty()) {
                throw new BadValueException("is empty", "write at least one address:port such as 127.0.0.1:2525");
            }
            return List.copyOf(out);
        };
    }

    /** One {@code address:port}; port 0 lets the system pick one (for tests). */
    public static InetSocketAddress socketAddress(String item) {
        String todo = "write address:port such as 127.0.0.1:2525, 0.0.0.0:25 or [::1]:2525";
        int colon = item.lastIndexOf(':');
        if (colon <= 0 || colon == item.length() - 1) {
            throw new BadValueException("'" + item + "' is not address:port", todo);
        }
        String host = item.substring(0, colon);
        String portText = item.substring(colon + 1);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.contains(":")) {
            throw new BadValueException("'" + item + "': an IPv6 address needs brackets", "write [" + host + "]:" + portText);
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new BadValueException("'" + item + "' has a bad port '" + portText + "'", "write a port from 1 to 65535");
        }
        return new InetSocketAddress(ipLiteral(host, item, todo), port);
    }

    /** An IP address written as a literal; never a DNS lookup. */
    static InetAddress ipLiteral(String text, String item, String todo) {
        boolean v4 = IPV4.matcher(text).matches();
        boolean v6 = text.contains(":") && text.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            throw new BadValueException("'" + item + "' is not an IP address", todo);
        }
        try {
            return InetAddress.getByName(text);
        } catch (UnknownHostException e) {
            throw new BadValueException("'" + item + "' is not an IP address", todo);
        }
    }

    /** A file system path (resolved against the working directory by the loader). */
    public static ValueType<Path> path() {
        return t -> {
            if (t.isEmpty()) {
                throw new BadValueException("is empty", "write a path, or remove the line to use the default");
            }
            try {
                return Path.of(t);
            } catch (InvalidPathException e) {
                throw new BadValueException("'" + t + "' is not a valid path", "write a path such as /var/lib/relay");
            }
        };
    }

    /** {@code none} or the value of {@code inner}. */
    public static <T> ValueType<java.util.Optional<T>> noneOr(ValueType<T> inner) {
        return t -> t.equalsIgnoreCase("none") ? java.util.Optional.empty() : java.util.Optional.of(inner.parse(t));
    }

    /** A size for messages: the largest unit that divides it, e.g. {@code 50M}. */
    public static String human(long bytes) {
        String[] units = {"", "k", "M", "G", "T"};
        int u = 0;
        while (u < units.length - 1 && bytes != 0 && bytes % 1024 == 0) {
            bytes /= 1024;
            u++;
        }
        return bytes + units[u];
    }

    /** A duration in the configuration's spelling, e.g. {@code 5m}, {@code 4h}, {@code 5d}. */
    public static String human(Duration d) {
        long ms = d.toMillis();
        if (ms % 1000 != 0) {
            return ms + "ms";
        }
        long s = ms / 1000;
        if (s != 0 && s % 604800 == 0) {
            return s / 604800 + "w";
        }
        if (s != 0 && s % 86400 == 0) {
            return s / 86400 + "d";
        }
        if (s != 0 && s % 3600 == 0) {
            return s / 3600 + "h";
        }
        if (s != 0 && s % 60 == 0) {
            return s / 60 + "m";
        }
        return s + "s";
    }
}
