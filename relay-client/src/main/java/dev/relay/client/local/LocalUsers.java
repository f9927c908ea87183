package dev.relay.client.local;

import dev.relay.mail.Mailbox;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local users the receiver accepts at RCPT, answered from memory: the Maildirs
 * {@code ROOT/<domain>/<local-part>}, listed at start and again every {@code refreshInterval} on a background thread
 * (like a Postfix lookup table, but rebuilt by itself). The receiver calls {@link #exists} on a
 * Netty event loop, so it never touches the file system; relay-dist hands it over as
 * {@code LocalRecipients localRecipients = localUsers::exists}.
 *
 * <p>With {@code local.accept-unknown-users} every local part that can name a Maildir is
 * accepted; {@code postmaster} always is (RFC 5321 section 4.5.1). A user whose Maildir was made
 * a moment ago is refused with 550 5.1.1 until the next listing: make Maildirs before giving out
 * their addresses, or call {@link #refresh()}.
 */
public final class LocalUsers implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalUsers.class);

    /** The default time between two listings of the Maildir root. */
    public static final Duration DEFAULT_REFRESH = Duration.ofSeconds(30);

    private final MaildirDelivery maildir;
    private final Duration refreshInterval;
    private volatile Set<String> users = Set.of();
    private ScheduledExecutorService refresher;
    /** The missing root was reported: said once, not at every listing, until it is there again. */
    private volatile boolean missingReported;

    public LocalUsers(MaildirDelivery maildir, Duration refreshInterval) {
        if (refreshInterval.isNegative() || refreshInterval.isZero()) {
            throw new IllegalArgumentException("local.user-refresh must be positive: " + refreshInterval);
        }
        this.maildir = maildir;
        this.refreshInterval = refreshInterval;
    }

    /** Lists the root now and then every refresh interval, on one daemon thread, until {@link #close()}. */
    public synchronized LocalUsers start() {
        if (maildir.settings().acceptUnknownUsers()) {
            return this; // every local part is accepted: the listing would answer nothing
        }
        refresh();
        if (refresher == null) {
            refresher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "local-users");
                t.setDaemon(true);
                return t;
            });
            long ms = refreshInterval.toMillis();
            refresher.scheduleWithFixedDelay(this::refresh, ms, ms, TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /** Lists the Maildir root again (blocking file system I/O: never call it on an event loop). */
    public void refresh() {
        java.nio.file.Path root = maildir.settings().maildirRoot();
        Set<String> found = new HashSet<>();
        try (DirectoryStream<java.nio.file.Path> domains = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (java.nio.file.Path domain : domains) {
                if (!MaildirDelivery.safeName(domain.getFileName().toString(), 255)) {
                    continue;
                }
                try (DirectoryStream<java.nio.file.Path> boxes = Files.newDirectoryStream(domain, Files::isDirectory)) {
                    for (java.nio.file.Path box : boxes) {
                        if (MaildirDelivery.safeName(box.getFileName().toString(), 64)) {
                            found.add(key(box));
                        }
                    }
                }
            }
        } catch (NoSuchFileException e) {
            if (!missingReported) {
                missingReported = true;
                log.warn("the Maildir root {} does not exist: no local user is known (only postmaster is accepted;"
                        + " create {}/DOMAIN/USER for each user, or set local_accept_unknown_users = yes)", root, root);
            }
            users = Set.of();
            return;
        } catch (IOException | RuntimeException e) {
            // keep the last good listing rather than refusing every user on a passing error
            log.warn("cannot list the Maildir root {}: {}; keeping the previous list of {} mailboxes", root, e.toString(),
                    users.size());
            return;
        }
        if (missingReported) {
            missingReported = false;
            log.info("the Maildir root {} is there now: {} local mailboxes", root, found.size());
        }
        users = Set.copyOf(found);
    }

    private static String key(java.nio.file.Path maildir) {
        return (maildir.getParent().getFileName() + "/" + maildir.getFileName()).toLowerCase(Locale.ROOT);
    }

    /** The receiver's question, answered from memory: can mail to this local mailbox be delivered? */
    public boolean exists(Mailbox mailbox) {
        if (mailbox.isPostmaster()) {
            return true;
        }
        java.nio.file.Path dir = maildir.maildirOf(mailbox);
        if (dir == null) {
            return false;
        }
        return maildir.settings().acceptUnknownUsers() || users.contains(key(dir));
    }

    /** The mailboxes known from the last listing, as {@code domain/local-part}. */
    public Set<String> users() {
        return users;
    }

    @Override
    public synchronized void close() {
        if (refresher != null) {
            refresher.shutdownNow();
            refresher = null;
        }
    }
}
