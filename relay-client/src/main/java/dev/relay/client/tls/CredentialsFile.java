package dev.relay.client.tls;

import dev.relay.files.PrivateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The smarthost credentials file (RFC 4954 AUTH towards a next hop): one {@code KEY USER:PASSWORD} line per
 * next hop, where KEY is the route's next hop as written in the route table
 * (e.g. {@code [smtp.example.net]:587}) or a name the route gives with {@code auth=NAME}; the
 * password is everything after the first ':' (it may hold spaces and colons). Blank lines and
 * lines starting with {@code #} are ignored.
 *
 * <p>The file must be readable only by the relay's user: {@link #load} refuses a file that
 * grants any permission to group or others, and says how to fix it (like ssh with a private
 * key). Passwords never appear in messages or {@code toString()}.
 */
public final class CredentialsFile {

    private final Path file;
    private final Map<String, SmtpCredentials> entries;

    private CredentialsFile(Path file, Map<String, SmtpCredentials> entries) {
        this.file = file;
        this.entries = entries;
    }

    /**
     * Reads and checks {@code file}.
     *
     * @throws IOException naming the file (and line) when it is missing, open to others or malformed
     */
    public static CredentialsFile load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException("credentials file " + file + " does not exist or is not a file");
        }
        if (PrivateFiles.isOpenToOthers(file)) {
            throw new IOException("credentials file " + file + " can be read by other users (permissions "
                    + PrivateFiles.permissions(file) + "); refusing to use it: run chmod 600 " + file);
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        Map<String, SmtpCredentials> out = new LinkedHashMap<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = "credentials file " + file + " line " + (n + 1);
            int space = indexOfWhitespace(line);
            if (space < 0) {
                throw new IOException(where + ": expected KEY USER:PASSWORD");
            }
            String key = line.substring(0, space);
            String rest = line.substring(space).strip();
            int colon = rest.indexOf(':');
            if (colon <= 0 || colon == rest.length() - 1) {
                // Never echo the rest of the line: it may be a password.
                throw new IOException(where + ": expected KEY USER:PASSWORD after '" + key + "'");
            }
            SmtpCredentials c = new SmtpCredentials(rest.substring(0, colon), rest.substring(colon + 1));
            if (out.put(key, c) != null) {
                throw new IOException(where + ": '" + key + "' appears twice");
            }
        }
        return new CredentialsFile(file, Collections.unmodifiableMap(out));
    }

    /** The credentials for {@code key}, if any. */
    public Optional<SmtpCredentials> forKey(String key) {
        return Optional.ofNullable(entries.get(key));
    }

    /** The keys (for {@code relayctl}: never the secrets). */
    public List<String> keys() {
        return List.copyOf(entries.keySet());
    }

    /** The file. */
    public Path file() {
        return file;
    }

    @Override
    public String toString() {
        return "CredentialsFile[" + file + ", keys=" + entries.keySet() + "]";
    }

    private static int indexOfWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }
}
