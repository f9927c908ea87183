package dev.relay.client.local;

import dev.relay.client.routing.Decision;
import dev.relay.client.routing.Router;
import dev.relay.mail.Path;

/**
 * Where a forward-path ends up locally, for {@code relayctl route} and tests: is it a local mailbox,
 * and does it exist? It applies the same routing as delivery, so a source route through us to a
 * local user counts as local. It looks at the file system; the receiver, which must not block,
 * is given {@link LocalUsers#exists} instead.
 */
public final class LocalMailboxes {

    /** The verdict for one forward-path. */
    public enum Verdict {
        /** Not delivered here: relaying rules apply. */
        NOT_LOCAL,
        /** A local mailbox that exists (or unknown users are accepted). */
        ACCEPT,
        /** A local domain but no such user: 550 5.1.1 at RCPT (RFC 5321 section 3.3; RFC 3463 X.1.1). */
        UNKNOWN_USER
    }

    private final Router router;
    private final MaildirDelivery maildir;

    public LocalMailboxes(Router router, MaildirDelivery maildir) {
        this.router = router;
        this.maildir = maildir;
    }

    public Verdict check(Path forwardPath) {
        if (forwardPath.isNull()) {
            return Verdict.NOT_LOCAL;
        }
        if (router.route(forwardPath) instanceof Decision.Local local) {
            return maildir.accepts(local.mailbox()) ? Verdict.ACCEPT : Verdict.UNKNOWN_USER;
        }
        return Verdict.NOT_LOCAL;
    }
}
