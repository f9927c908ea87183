package dev.relay.client.local;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Local delivery settings.
 *
 * @param maildirRoot        the directory holding one Maildir per mailbox, {@code ROOT/<domain>/<local-part>/{tmp,new,cur}}
 *                           ({@code local.maildir-root}, default {@code /var/lib/relay/maildir})
 * @param acceptUnknownUsers true: any local part of a local domain is accepted at RCPT and its Maildir is
 *                           created on first delivery; false (the default, like Postfix's local_recipient_maps):
 *                           only local parts whose Maildir exists are accepted, others get 550 5.1.1 at RCPT
 *                           ({@code local.accept-unknown-users})
 */
public record LocalDeliverySettings(Path maildirRoot, boolean acceptUnknownUsers) {

    /** The default Maildir root. */
    public static final Path DEFAULT_ROOT = Path.of("/var/lib/relay/maildir");

    public LocalDeliverySettings {
        Objects.requireNonNull(maildirRoot, "maildirRoot");
    }
}
