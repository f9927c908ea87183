package dev.relay.queue;

import dev.relay.mail.Path;
import dev.relay.mail.RcptParameters;

/** One RCPT of a transaction: the forward-path exactly as received (source route included) and its parameters. */
public record Recipient(Path forwardPath, RcptParameters parameters) {
}
