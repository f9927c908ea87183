package dev.relay.client.routing;

import java.net.InetAddress;

/** One address to connect to for a next hop, with the host name it was found under. */
public record Target(String hostName, InetAddress address, int port) {

    /** {@code mx.example.org[192.0.2.5]:25}, as Postfix logs a relay. */
    @Override
    public String toString() {
        return hostName + "[" + address.getHostAddress() + "]:" + port;
    }
}
