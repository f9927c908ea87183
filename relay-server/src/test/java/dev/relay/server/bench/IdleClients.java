package dev.relay.server.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The client side of {@link IdleConnectionsBench}, run in its own JVM so that it adds nothing to
 * the server's heap or threads: opens N connections, reads each greeting, prints {@code READY n},
 * then holds them open until its standard input closes. Blocking sockets on one thread: no
 * thread per connection here either.
 */
public final class IdleClients {
    private IdleClients() {
    }

    public static void main(String[] args) throws IOException {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        List<SocketChannel> open = new ArrayList<>(n);
        ByteBuffer buf = ByteBuffer.allocate(512);
        int greeted = 0;
        for (int i = 0; i < n; i++) {
            SocketChannel ch = SocketChannel.open(new InetSocketAddress(host, port));
            open.add(ch);
            buf.clear();
            ch.read(buf); // "220 ... ESMTP" (or a 421 if a limit refused it)
            if (buf.position() >= 3 && buf.get(0) == '2' && buf.get(1) == '2' && buf.get(2) == '0') {
                greeted++;
            }
        }
        System.out.println("READY " + greeted);
        System.out.flush();
        while (System.in.read() >= 0) {
            // hold the connections until the parent closes our stdin
        }
        for (SocketChannel ch : open) {
            ch.close();
        }
    }
}
