package dev.relay.client.transport;

import java.io.IOException;
import java.io.InputStream;

/** Opens the message content (CRLF line ends, not dot-stuffed) for one transmission; the caller closes the stream. */
@FunctionalInterface
public interface BodySource {
    InputStream open() throws IOException;
}
