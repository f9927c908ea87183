package dev.relay.server.policy;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 network in CIDR notation ({@code 192.0.2.0/24}, {@code 2001:db8::/32}, or a
 * single address without a prefix length), for the trusted client networks.
 */
public final class Cidr {
    private final byte[] network;
    private final int prefixLength;
    private final String text;

    private Cidr(byte[] network, int prefixLength, String text) {
        this.network = network;
        this.prefixLength = prefixLength;
        this.text = text;
    }

    /**
     * Parses {@code address[/prefix]}. Only numeric addresses are accepted (no name look-up).
     *
     * @throws IllegalArgumentException naming the value and what is wrong with it
     */
    public static Cidr parse(String text) {
        String t = text.strip();
        int slash = t.indexOf('/');
        String addr = slash < 0 ? t : t.substring(0, slash);
        if (addr.startsWith("[") && addr.endsWith("]")) {
            addr = addr.substring(1, addr.length() - 1);
        }
        if (addr.isEmpty() || !addr.matches("[0-9A-Fa-f:.]+")) {
            throw new IllegalArgumentException("not a numeric IP network: \"" + text + "\" (expected e.g. 192.0.2.0/24 or 2001:db8::/32)");
        }
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(addr).getAddress(); // numeric: no DNS look-up
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not a numeric IP network: \"" + text + "\"", e);
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(t.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad prefix length in \"" + text + "\"", e);
            }
            if (prefix < 0 || prefix > max) {
                throw new IllegalArgumentException("prefix length of \"" + text + "\" must be 0.." + max);
            }
        }
        return new Cidr(mask(bytes, prefix), prefix, t);
    }

    /** True when {@code address} lies in this network. IPv4-mapped IPv6 addresses match IPv4 networks. */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length == 16 && network.length == 4 && isV4Mapped(a)) {
            a = Arrays.copyOfRange(a, 12, 16);
        }
        if (a.length != network.length) {
            return false;
        }
        return Arrays.equals(mask(a, prefixLength), network);
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static byte[] mask(byte[] address, int prefix) {
        byte[] m = address.clone();
        for (int i = 0; i < m.length; i++) {
            int bits = Math.max(0, Math.min(8, prefix - i * 8));
            m[i] = (byte) (m[i] & (0xff00 >> bits));
        }
        return m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.network, network);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(network) * 31 + prefixLength;
    }

    @Override
    public String toString() {
        return text;
    }
}
