package dev.relay.client.transport;

import dev.relay.client.tls.OutboundTls;
import java.io.IOException;
import java.net.Socket;
import java.time.Duration;

/** A client with the state our socket wrapper shares with it. */
final class Session {
    final OutboundTls.Client client;
    final java.util.Set<Session> live;
    volatile long writeTimeout;
    /** The most bytes that may be read between two of our writes: one reply's worth, more for a pipelined group. */
    volatile long replyAllowance;
    volatile boolean socketConnected;
    volatile Socket socket;

    Session(OutboundTls.Client client, java.util.Set<Session> live) {
        this.client = client;
        this.live = live;
    }

    void abort() {
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** Sets the read timeout and the write watchdog for the next phase. */
    void phase(Duration timeout) throws IOException {
        writeTimeout = timeout.toMillis();
        client.setSoTimeout(SmtpTransport.millis(timeout));
    }

    void disconnectQuietly() {
        live.remove(this);
        try {
            if (client.isConnected()) {
                client.disconnect();
            }
        } catch (IOException e) {
            // nothing left to do
        }
    }
}
