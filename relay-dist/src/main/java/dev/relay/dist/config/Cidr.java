package dev.relay.dist.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** A network in CIDR notation, e.g. {@code 127.0.0.0/8} or {@code ::1/128}. */
public record Cidr(InetAddress network, int prefixLength) {

    public Cidr {
        int max = network.getAddress().length * 8;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " out of 0.." + max);
        }
        network = mask(network, prefixLength);
    }

    /** Whether {@code address} lies in this network (an IPv4 address never matches an IPv6 network). */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        if (a.length != network.getAddress().length) {
            return false;
        }
        return mask(address, prefixLength).equals(network);
    }

    private static InetAddress mask(InetAddress address, int prefix) {
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

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefixLength;
    }
}
