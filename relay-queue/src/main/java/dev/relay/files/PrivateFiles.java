package dev.relay.files;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Files and folders readable only by the relay's own user: mode 0700 for folders, 0600 for
 * files (the data folder, the admin socket, the users file, the self-signed key), and the one
 * check that a secret someone else wrote (a credentials file) is not open to other users. It
 * lives in relay-queue because that is the one module the receiver, the forwarder and the
 * distribution all depend on.
 *
 * <p>Files are written to a sibling temporary file that is created with mode 0600 from the
 * start (never a window in which another user could open it), synced, then renamed over the
 * target, so a reader sees the old or the new content and never half a file. On a file system
 * without POSIX permissions (not the relay's target) the modes are skipped.
 */
public final class PrivateFiles {

    /** rwx------ */
    public static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
    /** rw------- */
    public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");

    private PrivateFiles() {
    }

    /**
     * Creates {@code dir} (and missing parents) with mode 0700; an existing folder is left as
     * it is apart from being narrowed to 0700 when it is more open (never widened).
     */
    public static Path createPrivateDirectories(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                if (isPosix(parent)) {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(DIRECTORY_MODE));
                } else {
                    Files.createDirectory(dir);
                }
            } catch (FileAlreadyExistsException raced) {
                // created meanwhile: narrowed below
            }
        }
        restrict(dir, DIRECTORY_MODE);
        return dir;
    }

    /** Writes {@code content} to {@code target} atomically, the file having mode 0600. */
    public static void writePrivate(Path target, byte[] content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp" + ProcessHandle.current().pid());
        Files.deleteIfExists(tmp);
        if (isPosix(abs.getParent())) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(FILE_MODE));
        } else {
            Files.createFile(tmp);
        }
        try {
            try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
                var buf = java.nio.ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            keepOwner(abs, tmp);
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        restrict(abs, FILE_MODE);
    }

    /**
     * A rewrite keeps the owner of the file it replaces: when root runs {@code relayctl user add}
     * on the relay user's users file, the relay can still read it afterwards. Without the right to
     * change owners (not root) the new file simply stays the writer's.
     */
    private static void keepOwner(Path existing, Path replacement) {
        try {
            PosixFileAttributeView old = Files.getFileAttributeView(existing, PosixFileAttributeView.class);
            PosixFileAttributeView now = Files.getFileAttributeView(replacement, PosixFileAttributeView.class);
            if (old == null || now == null || !Files.exists(existing)) {
                return;
            }
            var was = old.readAttributes();
            var is = now.readAttributes();
            if (!was.owner().equals(is.owner())) {
                now.setOwner(was.owner());
            }
            if (!was.group().equals(is.group())) {
                now.setGroup(was.group());
            }
        } catch (IOException | UnsupportedOperationException | SecurityException notAllowed) {
            // not root: the file belongs to whoever wrote it
        }
    }

    /**
     * True when group or others have any permission on {@code file} (a secret that others
     * may read). False on a file system without POSIX permissions.
     */
    public static boolean isOpenToOthers(Path file) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null) {
            return false;
        }
        for (PosixFilePermission p : view.readAttributes().permissions()) {
            switch (p) {
                case OWNER_READ, OWNER_WRITE, OWNER_EXECUTE -> {
                }
                default -> {
                    return true;
                }
            }
        }
        return false;
    }

    /** The permissions of {@code file} as {@code ls -l} shows them, e.g. {@code rw-r--r--}, for messages; "?" without POSIX. */
    public static String permissions(Path file) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        return view == null ? "?" : PosixFilePermissions.toString(view.readAttributes().permissions());
    }

    /** The mode of {@code file} as octal text, e.g. {@code 0644}, for messages; "?" without POSIX. */
    public static String mode(Path file) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null) {
            return "?";
        }
        int m = 0;
        for (PosixFilePermission p : view.readAttributes().permissions()) {
            m |= 1 << (8 - p.ordinal());
        }
        return String.format("0%03o", m);
    }

    private static void restrict(Path path, Set<PosixFilePermission> mode) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(path, PosixFileAttributeView.class);
        if (view != null && !mode.containsAll(view.readAttributes().permissions())) {
            view.setPermissions(mode);
        }
    }

    private static boolean isPosix(Path dir) {
        Path probe = dir == null ? Path.of(".") : dir;
        return probe.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
