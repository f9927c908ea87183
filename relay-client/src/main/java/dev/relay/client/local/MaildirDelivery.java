package dev.relay.client.local;

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
 * Final delivery into Maildirs: one Maildir per mailbox under a root, named by the local part in
 * lower case. The message is written into {@code tmp/}, synced, then renamed into {@code new/}
 * and the directory synced, so a reader never sees half a message and a crash loses none
 * (the Maildir protocol; "250 means durable" holds for local delivery too). {@code Return-Path:}
 * (the reverse-path as it arrived) and {@code Delivered-To:} go on top (RFC 5321 section 4.4:
 * the final delivery adds Return-Path). The content is kept byte for byte, CRLF line ends included.
 */
public final class MaildirDelivery {

    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final LocalDeliverySettings settings;
    private final String hostName;
    private final Clock clock;

    public MaildirDelivery(LocalDeliverySettings settings, String hostName, Clock clock) {
        this.settings = settings;
        this.hostName = hostName.replace('/', '_').replace(':', '_');
        this.clock = clock;
    }

    public LocalDeliverySettings settings() {
        return settings;
    }

    /**
     * The Maildir directory of a local part, or null when the local part cannot name a directory
     * safely (empty, a path separator, a leading dot, control characters): such a user never exists.
     */
    public java.nio.file.Path maildirOf(String localPart) {
        String name = localPart.toLowerCase(Locale.ROOT);
        if (name.isEmpty() || name.startsWith(".") || name.length() > 64 || name.chars().anyMatch(c -> c < 0x20 || c == 0x7f
                || c == '/' || c == '\\')) {
            return null;
        }
        return settings.maildirRoot().resolve(name);
    }

    /** True when mail to this local part would be accepted: its Maildir exists, or unknown users are accepted. */
    public boolean accepts(String localPart) {
        java.nio.file.Path dir = maildirOf(localPart);
        return dir != null && (settings.acceptUnknownUsers() || Files.isDirectory(dir));
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
        java.nio.file.Path dir = maildirOf(mailbox.localPart());
        if (dir == null || !accepts(mailbox.localPart())) {
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
