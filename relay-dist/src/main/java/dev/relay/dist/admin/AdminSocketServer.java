package dev.relay.dist.admin;

import dev.relay.dist.cli.AdminSocketClient;
import dev.relay.files.PrivateFiles;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running relay's end of relayctl: a Unix domain socket (mode 0600, in the data folder whose
 * mode is 0700) on which each connection carries one relayctl command line. The relay runs the
 * same picocli command as relayctl would run against a stopped relay, in-process, with the
 * connection as its standard input, output and error ({@link AdminProtocol}).
 *
 * <p>Why a Unix socket and not a TCP port: nothing outside the machine can reach it, file
 * permissions decide who may use it, and the peer's user is known (SO_PEERCRED), so every
 * command is logged with who ran it. At most {@value #MAX_SESSIONS} commands run at once.
 */
public final class AdminSocketServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AdminSocketServer.class);
    static final int MAX_SESSIONS = 4;

    /** Runs one relayctl command line and returns its exit code. */
    @FunctionalInterface
    public interface Runner {
        int run(List<String> args, Reader in, PrintWriter out, PrintWriter err);
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final ExecutorService sessions;
    private final Thread acceptor;

    private AdminSocketServer(Path path, ServerSocketChannel server, Runner runner) {
        this.path = path;
        this.server = server;
        this.sessions = new ThreadPoolExecutor(0, MAX_SESSIONS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "relayctl-session");
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(() -> acceptLoop(runner), "relayctl-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds {@code path}. A socket file left by a relay that died is removed; one that still
     * answers means another relay is running on this data folder, and start-up stops.
     */
    public static AdminSocketServer start(Path path, Runner runner) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PrivateFiles.DIRECTORY_MODE));
        }
        if (Files.exists(path)) {
            if (AdminSocketClient.answers(path)) {
                throw new IOException("another relay is running: its admin socket " + path + " answers (stop it first)");
            }
            Files.delete(path);
        }
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            server.bind(UnixDomainSocketAddress.of(path));
            Files.setPosixFilePermissions(path, PrivateFiles.FILE_MODE);
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot create the admin socket " + path + ": " + e.getMessage(), e);
        }
        AdminSocketServer s = new AdminSocketServer(path, server, runner);
        s.acceptor.start();
        log.info("relayctl socket {}", path);
        return s;
    }

    private void acceptLoop(Runner runner) {
        while (server.isOpen()) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                log.warn("relayctl socket: accept failed: {}", e.getMessage());
                continue;
            }
            try {
                sessions.execute(() -> serve(ch, runner));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                refuse(ch);
            }
        }
    }

    private static void refuse(SocketChannel ch) {
        try (ch) {
            DataOutputStream out = new DataOutputStream(AdminProtocol.output(ch));
            AdminProtocol.writeFrame(out, AdminProtocol.ERR,
                    ("relayctl: the relay is busy with " + MAX_SESSIONS + " other relayctl commands (try again)\n")
                            .getBytes(StandardCharsets.UTF_8));
            AdminProtocol.writeFrame(out, AdminProtocol.EXIT, new byte[] {0, 0, 0, 1});
        } catch (IOException e) {
            // the client went away
        }
    }

    private static void serve(SocketChannel ch, Runner runner) {
        try (ch) {
            String user = "?";
            try {
                UnixDomainPrincipal p = ch.getOption(ExtendedSocketOptions.SO_PEERCRED);
                user = p.user().getName();
            } catch (IOException | UnsupportedOperationException e) {
                // not on Linux/macOS: the socket's file mode still decides who may connect
            }
            DataInputStream in = new DataInputStream(new BufferedInputStream(AdminProtocol.input(ch)));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(AdminProtocol.output(ch)));
            List<String> args = AdminProtocol.readArgs(in);
            log.info("relayctl: user={}, command={}", user, String.join(" ", args));
            Reader stdin = new InputStreamReader(in, StandardCharsets.UTF_8);
            int code;
            try (PrintWriter o = new PrintWriter(new AdminProtocol.FrameWriter(out, AdminProtocol.OUT), true);
                 PrintWriter e = new PrintWriter(new AdminProtocol.FrameWriter(out, AdminProtocol.ERR), true)) {
                code = runner.run(args, stdin, o, e);
                o.flush();
                e.flush();
            }
            AdminProtocol.writeFrame(out, AdminProtocol.EXIT,
                    new byte[] {(byte) (code >>> 24), (byte) (code >>> 16), (byte) (code >>> 8), (byte) code});
        } catch (IOException e) {
            log.info("relayctl: session ended early: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("relayctl: command failed", e);
        }
    }

    /** The socket's path. */
    public Path path() {
        return path;
    }

    /** Stops accepting, lets running commands end (up to a few seconds), removes the socket file. */
    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        sessions.shutdown();
        try {
            sessions.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot remove the relayctl socket {}: {}", path, e.getMessage());
        }
    }
}
