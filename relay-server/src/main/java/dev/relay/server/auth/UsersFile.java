package dev.relay.server.auth;

import dev.relay.files.PrivateFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The users who may AUTH to the receiver (RFC 4954), kept in a text file with one
 * {@code user:hash} line each ({@link PasswordHash}'s encoded form); blank lines and lines
 * starting with {@code #} are ignored. The file is written atomically with mode 0600 (it holds password hashes) by {@code relayctl user add|remove}; the running relay notices a changed file by
 * its modification time and reloads it on the next AUTH, so no restart is needed.
 *
 * <p>Thread-safe. {@link #authenticate} is slow on purpose (PBKDF2): call it off the event loop.
 */
public final class UsersFile implements Authenticator {

    /** Longest user name accepted (RFC 4616 allows 255 octets for authcid). */
    public static final int MAX_USER_LENGTH = 255;

    private final Path file;
    private final PasswordHash hasher;
    private Map<String, String> users = Map.of();
    private Object loadedStamp;
    private boolean loaded;

    /** A view of {@code file}, which need not exist yet (no users then). */
    public UsersFile(Path file, PasswordHash hasher) {
        this.file = file;
        this.hasher = hasher;
    }

    /** A view of {@code file} with the default hash strength. */
    public UsersFile(Path file) {
        this(file, new PasswordHash());
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /** The user names, in file order. */
    public synchronized List<String> list() throws IOException {
        refresh();
        return List.copyOf(users.keySet());
    }

    /** Whether {@code user} exists. */
    public synchronized boolean contains(String user) throws IOException {
        refresh();
        return users.containsKey(user);
    }

    /**
     * Adds {@code user}, or changes its password when it exists.
     *
     * @return true when the user is new
     * @throws IllegalArgumentException for a bad user name or an empty password, naming the value
     */
    public synchronized boolean add(String user, char[] password) throws IOException {
        checkUserName(user);
        if (password == null || password.length == 0) {
            throw new IllegalArgumentException("empty password for user '" + user + "'");
        }
        refresh();
        Map<String, String> next = new LinkedHashMap<>(users);
        boolean isNew = next.put(user, hasher.hash(password)) == null;
        write(next);
        return isNew;
    }

    /** Removes {@code user}; returns false when there was no such user. */
    public synchronized boolean remove(String user) throws IOException {
        refresh();
        if (!users.containsKey(user)) {
            return false;
        }
        Map<String, String> next = new LinkedHashMap<>(users);
        next.remove(user);
        write(next);
        return true;
    }

    /**
     * Whether {@code user} exists and {@code password} is its password. An unknown user costs
     * the same time as a wrong password. A file that cannot be read fails closed (false), after
     * the reason was raised once as an exception to the caller that logs it.
     */
    @Override
    public boolean authenticate(String user, char[] password) throws IOException {
        String hash;
        synchronized (this) {
            refresh();
            hash = users.get(user);
        }
        if (hash == null) {
            hasher.dummyVerify(password);
            return false;
        }
        return hasher.verify(password, hash);
    }

    /** Checks a user name: 1 to 255 characters, no ':', no white space, no control characters. */
    public static void checkUserName(String user) {
        if (user == null || user.isEmpty()) {
            throw new IllegalArgumentException("empty user name");
        }
        if (user.length() > MAX_USER_LENGTH) {
            throw new IllegalArgumentException("user name longer than " + MAX_USER_LENGTH + " characters");
        }
        for (int i = 0; i < user.length(); i++) {
            char c = user.charAt(i);
            if (c == ':' || c == '#' && i == 0 || Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw new IllegalArgumentException("user name '" + printable(user)
                        + "' contains a character that is not allowed (':', white space, control, or a leading '#')");
            }
        }
    }

    private void refresh() throws IOException {
        Object stamp;
        try {
            // The inode changes at every atomic rewrite, the time at in-place edits.
            var attrs = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
            stamp = java.util.Arrays.asList(attrs.lastModifiedTime(), attrs.fileKey(), attrs.size());
        } catch (NoSuchFileException e) {
            users = Map.of();
            loadedStamp = null;
            loaded = true;
            return;
        }
        if (loaded && stamp.equals(loadedStamp)) {
            return;
        }
        users = parse(file, Files.readAllLines(file, StandardCharsets.UTF_8));
        loadedStamp = stamp;
        loaded = true;
    }

    static Map<String, String> parse(Path file, List<String> lines) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            String where = file + " line " + (n + 1);
            if (colon <= 0) {
                throw new IOException(where + ": expected user:hash");
            }
            String user = line.substring(0, colon);
            String hash = line.substring(colon + 1);
            try {
                checkUserName(user);
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage());
            }
            if (!PasswordHash.isWellFormed(hash)) {
                throw new IOException(where + ": the hash of user '" + user + "' is not a " + PasswordHash.PREFIX
                        + "i=N$salt$hash value; set the password again with relayctl user add");
            }
            if (out.put(user, hash) != null) {
                throw new IOException(where + ": user '" + user + "' appears twice");
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private void write(Map<String, String> next) throws IOException {
        StringBuilder sb = new StringBuilder("# relay users: user:hash, managed by relayctl user add|remove\n");
        for (Map.Entry<String, String> e : next.entrySet()) {
            sb.append(e.getKey()).append(':').append(e.getValue()).append('\n');
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            PrivateFiles.createPrivateDirectories(parent);
        }
        PrivateFiles.writePrivate(file, sb.toString().getBytes(StandardCharsets.UTF_8));
        users = Collections.unmodifiableMap(next);
        loaded = false; // re-read the stamp (and the file) at the next look
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return sb.toString();
    }
}
