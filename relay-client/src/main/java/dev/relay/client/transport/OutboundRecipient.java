package dev.relay.client.transport;

import dev.relay.mail.Path;
import dev.relay.mail.RcptParameters;

/** One RCPT of an outgoing transaction: the forward-path to send (route already rewritten) and its DSN parameters. */
public record OutboundRecipient(Path forwardPath, RcptParameters parameters) {
}
