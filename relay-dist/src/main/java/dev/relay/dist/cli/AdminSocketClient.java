package dev.relay.dist.cli;

import dev.relay.dist.admin.AdminProtocol;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** relayctl's end of the admin socket: sends a command line to the running relay and plays back what it answers. */
public final class AdminSocketClient {

    private AdminSocketClient() {
    }

    /** Whether a relay answers on {@code socket}. */
    public static boolean answers(Path socket) {
        Optional<SocketChannel> ch;
        try {
            ch = connect(socket);
        } catch (CliException e) {
            return true; // something is there that we may not use: not a stale file
        }
        ch.ifPresent(c -> {
            try {
                c.close();
            } catch (IOException e) {
                // probing only
            }
        });
        return ch.isPresent();
    }

    /**
     * A connection to a relay on {@code socket}, or empty when no relay answers there (no socket
     * file, or one left by a relay that is gone: connection refused).
     *
     * @throws CliException when the socket is there but this user may not use it
     */
    static Optional<SocketChannel> connect(Path socket) {
        Path dir = socket.toAbsolutePath().getParent();
        if (!Files.exists(socket)) {
            if (dir != null && Files.isDirectory(dir) && !Files.isExecutable(dir)) {
                throw new CliException("permission denied on " + dir + " (run relayctl as the relay's user)");
            }
            return Optional.empty();
        }
        try {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(UnixDomainSocketAddress.of(socket));
                return Optional.of(ch);
            } catch (IOException e) {
                ch.close();
                String msg = String.valueOf(e.getMessage());
                if (msg.toLowerCase(java.util.Locale.ROOT).contains("permission denied")) {
                    throw new CliException("permission denied on the admin socket " + socket
                            + " (run relayctl as the relay's user)");
                }
                return Optional.empty();
            }
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Runs {@code args} in the relay on {@code ch}: {@code stdin} is copied to it on a daemon
     * thread, its output is written to {@code out} and {@code err}; returns its exit code.
     */
    static int run(SocketChannel ch, List<String> args, InputStream stdin, PrintStream out, PrintStream err) throws IOException {
        try (ch) {
            DataOutputStream req = new DataOutputStream(new BufferedOutputStream(AdminProtocol.output(ch)));
            AdminProtocol.writeArgs(req, args);
            Thread pump = new Thread(() -> pump(stdin, AdminProtocol.output(ch), ch), "relayctl-stdin");
            pump.setDaemon(true);
            pump.start();
            DataInputStream in = new DataInputStream(new BufferedInputStream(AdminProtocol.input(ch)));
            while (true) {
                AdminProtocol.Frame f;
                try {
                    f = AdminProtocol.readFrame(in);
                } catch (EOFException e) {
                    throw new IOException("the relay closed the connection before the command ended (see the relay's log)");
                }
                switch (f.type()) {
                    case AdminProtocol.OUT -> {
                        out.write(f.payload());
                        out.flush();
                        if (out.checkError()) {
                            // Our reader went away (relayctl queue | head): closing the socket ends
                            // the command in the relay at its next write, instead of listing to nobody.
                            return ExitCodes.FAILURE;
                        }
                    }
                    case AdminProtocol.ERR -> {
                        err.write(f.payload());
                        err.flush();
                    }
                    case AdminProtocol.EXIT -> {
                        byte[] p = f.payload();
                        return ((p[0] & 0xff) << 24) | ((p[1] & 0xff) << 16) | ((p[2] & 0xff) << 8) | (p[3] & 0xff);
                    }
                    default -> throw new IOException("unexpected frame from the relay: " + f.type());
                }
            }
        }
    }

    private static void pump(InputStream stdin, OutputStream to, SocketChannel ch) {
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = stdin.read(buf)) >= 0) {
                to.write(buf, 0, n);
            }
            ch.shutdownOutput();
        } catch (IOException e) {
            // the command ended, or there is no standard input: nothing more to send
        }
    }
}
