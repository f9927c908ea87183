package dev.relay.dist.config;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Reads {@code relay.conf} into a {@link RelayConfig}, validating everything once, as HikariCP's
 * {@code validate()} does: every problem in the file is reported (not only the first), each as
 * {@code FILE:LINE: key 'x': what is wrong (what to do)}, and nothing starts until there are none.
 *
 * <p>Steps: unknown keys are refused (with a did-you-mean); each key's text is its file value or
 * its default; {@code $name} and {@code ${name}} are replaced by the text of another key (as in
 * Postfix's main.cf; {@code $$} is a dollar sign); the text is parsed by the key's type; then
 * the checks that involve several keys run.
 *
 * <p>Relative paths written in a configuration file are taken from the file's own directory, so a
 * relay and a relayctl started anywhere with the same file agree on every path (a relative
 * {@code data_directory = data} in {@code /etc/relay/relay.conf} is {@code /etc/relay/data}). The
 * default {@code data_directory} is {@code data} in the installation ({@code relay.home}, set by
 * {@code bin/relay} and {@code bin/relayctl}), else in the working directory; every other default
 * path is built from it. Only without a file, and without an installation, does the working
 * directory count.
 */
public final class ConfigLoader {

    /** Unix domain socket paths are limited to 108 bytes with the terminating NUL (sun_path on Linux). */
    static final int MAX_SOCKET_PATH = 107;

    /** The environment variable that gives the host name when the configuration does not (containers). */
    public static final String HOSTNAME_ENV = "RELAY_HOSTNAME";

    private final Path workingDirectory;
    private final Optional<Path> home;
    private final Supplier<String> machineHostname;

    /**
     * A loader for settings without a file (tests): relative paths and the default data folder are
     * taken from {@code workingDirectory}; the default host name comes from {@code machineHostname}.
     */
    public ConfigLoader(Path workingDirectory, Supplier<String> machineHostname) {
        this(workingDirectory, Optional.empty(), machineHostname);
    }

    /**
     * A loader whose default data folder is {@code home/data} when {@code home} (the installation)
     * is given, else {@code workingDirectory/data}.
     */
    public ConfigLoader(Path workingDirectory, Optional<Path> home, Supplier<String> machineHostname) {
        this.workingDirectory = workingDirectory.toAbsolutePath().normalize();
        this.home = home.map(h -> h.toAbsolutePath().normalize());
        this.machineHostname = machineHostname;
    }

    /**
     * The loader of the running process: the current directory, the installation the scripts name
     * in the system property {@code relay.home}, and the host name of {@code $RELAY_HOSTNAME} or else
     * of this machine.
     */
    public static ConfigLoader forThisMachine() {
        Optional<Path> home = Optional.ofNullable(System.getProperty("relay.home")).filter(s -> !s.isBlank()).map(Path::of);
        String env = System.getenv(HOSTNAME_ENV);
        Supplier<String> hostname = env == null || env.isBlank() ? ConfigLoader::machineHostname : env::strip;
        return new ConfigLoader(Path.of("").toAbsolutePath(), home, hostname);
    }

    /** The default data folder: {@code data} in the installation, else in the working directory. */
    public Path defaultDataDirectory() {
        return home.orElse(workingDirectory).resolve("data");
    }

    /** Loads {@code file}, or the embedded defaults when it is empty. */
    public RelayConfig load(Optional<Path> file) throws ConfigException {
        ConfigFile parsed = file.isPresent() ? ConfigFile.read(file.get()) : ConfigFile.empty();
        return load(parsed, file.map(f -> f.toAbsolutePath().normalize()));
    }

    /** Validates already parsed settings; {@code file} is where they came from (for the routes_file default). */
    public RelayConfig load(ConfigFile parsed, Optional<Path> file) throws ConfigException {
        String source = parsed.source();
        List<ConfigProblem> problems = new ArrayList<>(parsed.problems());
        // relative paths in a file are taken from the file's directory (as relayctl, run anywhere, must find them)
        Path base = file.map(f -> workingDirectory.resolve(f).normalize().getParent()).orElse(workingDirectory);

        for (ConfigFile.Setting s : parsed.settings().values()) {
            if (!ConfigKeys.BY_NAME.containsKey(s.key())) {
                String guess = didYouMean(s.key());
                problems.add(new ConfigProblem(source, s.line(), s.key(), "unknown key",
                        guess == null ? "see the configuration reference in the README for the keys there are"
                                : "did you mean '" + guess + "'?"));
            }
        }

        Map<String, String> raw = new LinkedHashMap<>();
        for (Key<?> key : ConfigKeys.ALL) {
            ConfigFile.Setting s = parsed.settings().get(key.name());
            if (s != null) {
                raw.put(key.name(), s.value());
            } else if (key == ConfigKeys.HOSTNAME) {
                raw.put(key.name(), machineHostname.get());
            } else if (key == ConfigKeys.DATA_DIRECTORY) {
                raw.put(key.name(), defaultDataDirectory().toString().replace("$", "$$"));
            } else if (key == ConfigKeys.ROUTES_FILE) {
                raw.put(key.name(), file.map(f -> f.resolveSibling("routes")).filter(Files::isRegularFile)
                        .map(Path::toString).orElse("none"));
            } else {
                raw.put(key.name(), key.defaultValue());
            }
        }

        Map<String, String> expanded = new LinkedHashMap<>();
        Map<String, Object> values = new HashMap<>();
        Set<String> failed = new java.util.HashSet<>();
        for (Key<?> key : ConfigKeys.ALL) {
            ConfigFile.Setting s = parsed.settings().get(key.name());
            int line = s == null ? 0 : s.line();
            String src = s == null ? (parsed.settings().isEmpty() && file.isEmpty() ? "<defaults>" : source + " (default)") : source;
            String text;
            Set<String> refs = new java.util.HashSet<>();
            try {
                text = expand(key.name(), raw, new LinkedHashSet<>(), refs);
            } catch (BadValueException e) {
                problems.add(new ConfigProblem(src, line, key.name(), e.getMessage(), e.todo()));
                continue;
            }
            expanded.put(key.name(), text);
            try {
                Object v = key.type().parse(text);
                if (v instanceof Path p) {
                    v = base.resolve(p).normalize();
                } else if (v instanceof Optional<?> o && o.isPresent() && o.get() instanceof Path p) {
                    v = Optional.of(base.resolve(p).normalize());
                }
                values.put(key.name(), v);
                if (v instanceof Path || v instanceof Optional<?> o2 && o2.isPresent() && o2.get() instanceof Path) {
                    expanded.put(key.name(), v instanceof Path ? v.toString() : ((Optional<?>) v).get().toString());
                }
            } catch (BadValueException e) {
                failed.add(key.name());
                if (s == null && refs.stream().anyMatch(failed::contains)) {
                    continue; // a default built from a bad key: the bad key's own problem says it all
                }
                problems.add(new ConfigProblem(src, line, key.name(), e.getMessage(), e.todo()));
            }
        }
        if (problems.isEmpty()) {
            crossChecks(parsed, values, problems);
        }
        if (!problems.isEmpty()) {
            problems.sort(java.util.Comparator.comparingInt(ConfigProblem::line));
            throw new ConfigException(problems);
        }
        return new RelayConfig(file, values, expanded, this);
    }

    private void crossChecks(ConfigFile parsed, Map<String, Object> values, List<ConfigProblem> problems) {
        Path socket = get(values, ConfigKeys.ADMIN_SOCKET);
        int len = socket.toString().getBytes(StandardCharsets.UTF_8).length;
        if (len > MAX_SOCKET_PATH) {
            problems.add(problem(parsed, ConfigKeys.ADMIN_SOCKET, "the path " + socket + " is " + len
                    + " bytes long; a Unix socket path may have at most " + MAX_SOCKET_PATH,
                    "set admin_socket to a shorter path, e.g. /run/relay/relayctl.sock"));
        }
        Optional<Path> routes = get(values, ConfigKeys.ROUTES_FILE);
        if (routes.isPresent() && !Files.isRegularFile(routes.get())) {
            problems.add(problem(parsed, ConfigKeys.ROUTES_FILE, routes.get() + " does not exist",
                    "create it (it may hold only comments) or set routes_file = none"));
        } else if (routes.isPresent() && !Files.isReadable(routes.get())) {
            problems.add(problem(parsed, ConfigKeys.ROUTES_FILE, routes.get() + " cannot be read by this user",
                    "let the relay's user read it (check the owner and mode), or run the check as that user"));
        }
        Optional<InetSocketAddress> metrics = get(values, ConfigKeys.METRICS_LISTEN);
        List<InetSocketAddress> listen = get(values, ConfigKeys.LISTEN);
        if (metrics.isPresent() && !metrics.get().getAddress().isLoopbackAddress()
                && !get(values, ConfigKeys.METRICS_ALLOW_REMOTE)) {
            problems.add(problem(parsed, ConfigKeys.METRICS_LISTEN, format(metrics.get()) + " is not a loopback address",
                    "the metrics endpoint is for this machine only: use 127.0.0.1:PORT or [::1]:PORT, or set "
                            + ConfigKeys.METRICS_ALLOW_REMOTE.name() + " = yes to let other hosts scrape it (a container)"));
        }
        if (get(values, ConfigKeys.TLS_IMPLICIT_LISTEN).isPresent() && !get(values, ConfigKeys.TLS_ENABLED)) {
            problems.add(problem(parsed, ConfigKeys.TLS_IMPLICIT_LISTEN, "is set but tls_enabled = no",
                    "enable TLS, or set tls_implicit_listen = none"));
        }
        if (metrics.isPresent() && metrics.get().getPort() != 0) {
            for (InetSocketAddress l : listen) {
                if (l.getPort() == metrics.get().getPort()
                        && (l.getAddress().isAnyLocalAddress() || l.getAddress().equals(metrics.get().getAddress()))) {
                    problems.add(problem(parsed, ConfigKeys.METRICS_LISTEN, "port " + l.getPort() + " is also in listen",
                            "give the metrics endpoint a port of its own"));
                }
            }
        }
        boolean cert = get(values, ConfigKeys.TLS_CERTIFICATE).isPresent();
        boolean key = get(values, ConfigKeys.TLS_KEY).isPresent();
        if (cert != key) {
            Key<?> missing = cert ? ConfigKeys.TLS_KEY : ConfigKeys.TLS_CERTIFICATE;
            Key<?> given = cert ? ConfigKeys.TLS_CERTIFICATE : ConfigKeys.TLS_KEY;
            problems.add(problem(parsed, given, "is set but " + missing.name() + " is not",
                    "set both " + ConfigKeys.TLS_CERTIFICATE.name() + " and " + ConfigKeys.TLS_KEY.name() + ", or neither for a self-signed certificate"));
        }
        for (Key<Optional<Path>> k : List.of(ConfigKeys.TLS_CERTIFICATE, ConfigKeys.TLS_KEY, ConfigKeys.CLIENT_TLS_CA_FILE,
                ConfigKeys.CLIENT_CREDENTIALS_FILE)) {
            Optional<Path> f = get(values, k);
            if (f.isPresent() && !Files.isRegularFile(f.get())) {
                problems.add(problem(parsed, k, f.get() + " does not exist", "give the path of an existing file, or none"));
            } else if (f.isPresent() && !Files.isReadable(f.get())) {
                problems.add(problem(parsed, k, f.get() + " cannot be read by this user",
                        "let the relay's user read it (check the owner and mode), or run the check as that user"));
            }
        }
        java.time.Duration minBackoff = get(values, ConfigKeys.RETRY_MIN_BACKOFF);
        java.time.Duration maxBackoff = get(values, ConfigKeys.RETRY_MAX_BACKOFF);
        if (maxBackoff.compareTo(minBackoff) < 0) {
            problems.add(problem(parsed, ConfigKeys.RETRY_MAX_BACKOFF, Values.human(maxBackoff) + " is below retry_min_backoff ("
                    + Values.human(minBackoff) + ")", "make retry_max_backoff at least retry_min_backoff"));
        }
        Set<InetSocketAddress> seen = new java.util.HashSet<>();
        for (InetSocketAddress l : listen) {
            if (l.getPort() != 0 && !seen.add(l)) {
                problems.add(problem(parsed, ConfigKeys.LISTEN, format(l) + " is listed twice", "list each address once"));
            }
        }
    }

    private static ConfigProblem problem(ConfigFile parsed, Key<?> key, String what, String todo) {
        ConfigFile.Setting s = parsed.settings().get(key.name());
        return new ConfigProblem(parsed.source(), s == null ? 0 : s.line(), key.name(), what, todo);
    }

    /** {@code 127.0.0.1:2525} or {@code [::1]:2525}. */
    public static String format(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @SuppressWarnings("unchecked")
    private static <T> T get(Map<String, Object> values, Key<T> key) {
        return (T) values.get(key.name());
    }

    private static String expand(String name, Map<String, String> raw, Set<String> visiting, Set<String> refs) {
        if (!visiting.add(name)) {
            throw new BadValueException("refers to itself through " + String.join(" -> $", visiting) + " -> $" + name,
                    "remove the circular $reference");
        }
        String text = raw.get(name);
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c != '$') {
                out.append(c);
                i++;
                continue;
            }
            if (i + 1 < text.length() && text.charAt(i + 1) == '$') {
                out.append('$');
                i += 2;
                continue;
            }
            int start;
            int end;
            int next;
            if (i + 1 < text.length() && text.charAt(i + 1) == '{') {
                start = i + 2;
                end = text.indexOf('}', start);
                if (end < 0) {
                    throw new BadValueException("'${' without '}'", "write ${name}, or $$ for a dollar sign");
                }
                next = end + 1;
            } else {
                start = i + 1;
                end = start;
                while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)) || text.charAt(end) == '_')) {
                    end++;
                }
                next = end;
            }
            String ref = text.substring(start, end);
            if (!raw.containsKey(ref)) {
                String guess = didYouMean(ref);
                throw new BadValueException("refers to $" + ref + ", which is not a key",
                        guess == null ? "write $$ for a dollar sign" : "did you mean $" + guess + "?");
            }
            refs.add(ref);
            out.append(expand(ref, raw, visiting, refs));
            i = next;
        }
        visiting.remove(name);
        return out.toString();
    }

    /**
     * The known key {@code unknown} most likely means: its own spelling with dots and hyphens as
     * underscores, a name from Postfix or Exim ({@link ConfigKeys#SYNONYMS}, however far), else the
     * key closest by edit distance if it is close enough to be a typo; null when none fits.
     */
    public static String didYouMean(String unknown) {
        String u = unknown.toLowerCase(Locale.ROOT).replace('.', '_').replace('-', '_');
        if (ConfigKeys.BY_NAME.containsKey(u) && !u.equals(unknown)) {
            return u;
        }
        String synonym = ConfigKeys.SYNONYMS.get(u);
        if (synonym != null) {
            return synonym;
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        // a typo of a key, or of a Postfix/Exim name (mesage_size_limit: max_message_size)
        List<String> names = new ArrayList<>(ConfigKeys.BY_NAME.keySet());
        names.addAll(ConfigKeys.SYNONYMS.keySet());
        java.util.Collections.sort(names);
        for (String k : names) {
            int d = distance(u, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        if (best != null && (bestDistance <= Math.max(2, u.length() / 3) || best.contains(u) || u.contains(best))) {
            return ConfigKeys.SYNONYMS.getOrDefault(best, best);
        }
        return null;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /**
     * This machine's host name, as gethostname(2) gives it (Linux: /proc/sys/kernel/hostname),
     * without a DNS lookup that could hang start-up; {@code localhost} if there is none.
     */
    public static String machineHostname() {
        try {
            Path proc = Path.of("/proc/sys/kernel/hostname");
            if (Files.isReadable(proc)) {
                String h = Files.readString(proc).strip();
                if (!h.isEmpty()) {
                    return h;
                }
            }
        } catch (IOException e) {
            // fall through to the JDK
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
