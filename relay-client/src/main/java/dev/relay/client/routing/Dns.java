package dev.relay.client.routing;

import java.net.InetAddress;
import java.util.List;

/** The DNS lookups mail routing needs. Implementations block the calling thread (never a Netty event loop). */
public interface Dns extends AutoCloseable {

    /** The MX records of {@code domain}, unsorted; empty when the name exists with no MX record. */
    List<MxRecord> mx(String domain) throws DnsException;

    /** The A, then AAAA, addresses of {@code host}; empty when the name exists with neither. */
    List<InetAddress> addresses(String host) throws DnsException;

    @Override
    void close();
}
