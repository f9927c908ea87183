package dev.relay.client.local;

import dev.relay.client.routing.Domains;
import dev.relay.client.transport.BodySource;
import dev.relay.mail.Mailbox;
import dev.relay.mail.Path;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Final delivery into Maildirs: one Maildir per mailbox under a root, {@code ROOT/<domain>/<local-part>}
 * in lower case (so {@code u@a.example} and {@code u@b.example} stay apart). The message is written into {@code tmp/}, synced, then renamed into {@code new/}
 * and the directory synced, so a reader never sees half a message and a crash loses none
 * (the Maildir protocol; "250 means durable" holds for local delivery too). {@code Return-Path:}
 * (the reverse-path as it arrived) and {@code Delivered-To:} go on top (RFC 5321 section 4.4:
 * the final delivery adds Return-Path). The content is kept byte for byte, CRLF line ends included.
 */
public final class MaildirDelivery {

    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final LocalDeliverySettings settings;
    private final String hostName;
    private final String hostDomain;
    private final Clock clock;

    public MaildirDelivery(LocalDeliverySettings settings, String hostName, Clock clock) {
        this.settings = settings;
        this.hostName = hostName.replace('/', '_').replace(':', '_');
        this.hostDomain = Domains.normalize(hostName);
        this.clock = clock;
    }

    public LocalDeliverySettings settings() {
        return settings;
    }

    /**
     * The Maildir of a mailbox: {@code ROOT/<domain>/<local-part>}, both in lower case (the domain
     * without a trailing dot; {@code <postmaster>} without a domain is our host name's). Null when
     * either cannot name a directory safely (empty, a path separator, a leading dot, control
     * characters, a routing operator {@code % ! @}, longer than 64 or 255 characters): such a
     * mailbox never exists.
     */
    public java.nio.file.Path maildirOf(Mailbox mailbox) {
        String domain = mailbox.domain() == null ? hostDomain : Domains.normalize(mailbox.domain());
        String user = mailbox.localPart().toLowerCase(Locale.ROOT);
        if (!safeName(user, 64) || !safeName(domain, 255)) {
            return null;
        }
        return settings.maildirRoot().resolve(domain).resolve(user);
    }

    /**
     * A name that is one path element, never {@code .}, {@code ..} or a hidden file, printable, and
     * without a routing operator: {@code %}, {@code !} and {@code @} in a local part ask for mail to
     * be routed on ({@code u%outside@ours}, {@code outside!u@ours}, {@code "u@outside"@ours}); they
     * never name a mailbox here, so such mail is refused as an unknown user (5.1.1) instead of
     * making a Maildir an outsider chose. Postfix would rewrite them (allow_percent_hack,
     * swap_bangpath) and relay; this relay never routes on a local part.
     */
    static boolean safeName(String name, int max) {
        return !name.isEmpty() && !name.startsWith(".") && name.length() <= max && name.chars().noneMatch(c -> c < 0x20
                || c == 0x7f || c == '/' || c == '\\' || c == '%' || c == '!' || c == '@');
    }

    /**
     * True when mail to this mailbox would be accepted: its Maildir exists, or unknown users are
     * accepted, or it is postmaster (RFC 5321 section 4.5.1: always accepted; its Maildir is made on
     * first use). This looks at the file system: the receiver uses {@link LocalUsers} instead.
     */
    public boolean accepts(Mailbox mailbox) {
        java.nio.file.Path dir = maildirOf(mailbox);
        return dir != null && (settings.acceptUnknownUsers() || mailbox.isPostmaster() || Files.isDirectory(dir));
    }

    /**
     * Delivers one message.
     *
     * @return the file the message was stored in, under {@code new/}
     * @throws UnknownUserException when the user has no Maildir and unknown users are refused
     * @throws IOException          on a file system error (temporary: the recipient is deferred)
     */
    public java.nio.file.Path deliver(Mailbox mailbox, Path returnPath, BodySource body)
            throws IOException, UnknownUserException {
        java.nio.file.Path dir = maildirOf(mailbox);
        if (dir == null || !accepts(mailbox)) {
            throw new UnknownUserException("no such local mailbox: " + mailbox);
        }
        java.nio.file.Path tmp = dir.resolve("tmp");
        java.nio.file.Path neu = dir.resolve("new");
        Files.createDirectories(tmp);
        Files.createDirectories(neu);
        Files.createDirectories(dir.resolve("cur"));
        long now = clock.millis();
        String name = (now / 1000) + ".M" + (now % 1000) * 1000 + "P" + ProcessHandle.current().pid()
                + "Q" + SEQUENCE.incrementAndGet() + "." + hostName;
        java.nio.file.Path file = tmp.resolve(name);
        String top = "Return-Path: " + returnPath + "\r\n"
                + "Delivered-To: " + mailbox + "\r\n";
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            OutputStream out = Channels.newOutputStream(ch);
            out.write(top.getBytes(StandardCharsets.UTF_8));
            try (InputStream in = body.open()) {
                in.transferTo(out);
            }
            out.flush();
            ch.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(file);
            throw e;
        }
        java.nio.file.Path target = neu.resolve(name);
        try {
            Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(file, target);
        }
        syncDirectory(neu);
        return target;
    }

    private static void syncDirectory(java.nio.file.Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some file systems cannot sync a directory; the rename itself is atomic.
        }
    }
}
