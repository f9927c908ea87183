package dev.relay.server;

import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * The Netty transport the listeners use: the native epoll transport where its library loads (Linux
 * on x86_64), else Java NIO. Native epoll saves the selector's bookkeeping and some system calls
 * per event (edge-triggered, no selected-key sets); the SMTP behaviour is the same on both.
 *
 * @param name          for the log: {@code epoll} or {@code nio}
 * @param ioHandlers    makes the event loops' I/O handlers
 * @param serverChannel the listening channel class
 */
record Transport(String name, IoHandlerFactory ioHandlers, Class<? extends ServerChannel> serverChannel) {

    /** Native epoll when wanted and available, else NIO; {@code why} gets the reason NIO was chosen, if any. */
    static Transport choose(boolean nativeWanted, StringBuilder why) {
        if (nativeWanted) {
            if (Epoll.isAvailable()) {
                return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class);
            }
            Throwable cause = Epoll.unavailabilityCause();
            why.append("native epoll unavailable: ").append(cause == null ? "unknown reason" : cause.toString());
        }
        return nio();
    }

    static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }
}
