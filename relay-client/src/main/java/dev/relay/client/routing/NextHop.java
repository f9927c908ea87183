package dev.relay.client.routing;

import dev.relay.client.tls.TlsPolicy;

import java.util.Objects;

/**
 * Where a route sends mail: {@code host:port} (MX lookup on {@code host}, then A/AAAA) or
 * {@code [host]:port} (that host itself, no MX lookup), as in Postfix's transport maps, with the
 * route's options.
 *
 * @param host        a host or domain name, or an IP address (without brackets)
 * @param port        the TCP port
 * @param mxLookup    true for {@code host:port}, false for {@code [host]:port}
 * @param tls         the route's TLS policy, or null for the configured default ({@code client.tls})
 * @param auth        the name of a credential entry for SMTP AUTH, or null
 * @param concurrency the maximum of concurrent sessions to this next hop, 0 for the engine's default
 */
public record NextHop(String host, int port, boolean mxLookup, TlsPolicy tls, String auth, int concurrency) {

    /** The well-known SMTP port. */
    public static final int SMTP_PORT = 25;

    public NextHop {
        Objects.requireNonNull(host, "host");
        if (host.isEmpty()) {
            throw new IllegalArgumentException("empty next-hop host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        if (concurrency < 0) {
            throw new IllegalArgumentException("negative concurrency: " + concurrency);
        }
    }

    /** MX lookup on {@code domain}, port 25, default options: the next hop of plain DNS routing. */
    public static NextHop mx(String domain) {
        return new NextHop(Domains.normalize(domain), SMTP_PORT, true, null, null, 0);
    }

    /** {@code [host]:port} with default options. */
    public static NextHop direct(String host, int port) {
        return new NextHop(host, port, false, null, null, 0);
    }

    /**
     * The destination as the route table writes it, {@code example.org:25} or {@code [10.0.0.5]:25}:
     * the key of per-destination concurrency, connection reuse and down marking.
     */
    public String destination() {
        return (mxLookup ? host : "[" + host + "]") + ":" + port;
    }

    /** {@link #destination()} followed by the options that differ from the defaults. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(destination());
        if (tls != null) {
            b.append(" tls=").append(tls.configName());
        }
        if (auth != null) {
            b.append(" auth=").append(auth);
        }
        if (concurrency > 0) {
            b.append(" concurrency=").append(concurrency);
        }
        return b.toString();
    }
}
