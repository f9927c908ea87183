package dev.relay.dist.console;

import com.sun.net.httpserver.HttpExchange;
import dev.relay.server.auth.UsersFile;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use the console, and the guard against cross-site request forgery.
 *
 * <p>The security model: the console can delete mail, so it is treated like relayctl.
 * <ul>
 *   <li>Without users ({@code console_users_file = none}) it answers only on a loopback address,
 *       and only to requests whose {@code Host} is a loopback name or address, so that a web page
 *       elsewhere cannot reach it through DNS rebinding. Anyone who can open a connection to
 *       loopback on this machine can use it (as with {@code /metrics}); set users to require a login
 *       even there.</li>
 *   <li>With users, every request needs HTTP Basic credentials of a user of that file (the format
 *       of the AUTH users file: salted PBKDF2, {@code relayctl user --users-file FILE add NAME}). A
 *       login that was checked is remembered for {@link #REMEMBER} as a salted digest, so that not
 *       every request costs a PBKDF2 run; a failure costs {@link #FAILURE_DELAY}. Over an address
 *       other than loopback the password crosses the network in the clear: put TLS in front
 *       (a reverse proxy) or reach it through an SSH tunnel.</li>
 *   <li>On an address other than loopback without users, the console refuses every request
 *       (403, saying why); {@code /metrics} and {@code /health} are not affected.</li>
 *   <li>Every change is a POST that carries the token of this relay process in the header
 *       {@value #TOKEN_HEADER}; the token is in the console's page only, which another site cannot
 *       read, and a cross-site request cannot set that header without a CORS preflight, which the
 *       console never grants. An {@code Origin} or {@code Sec-Fetch-Site} that says another site is
 *       refused as well.</li>
 * </ul>
 */
public final class ConsoleAccess {

    private static final Logger log = LoggerFactory.getLogger(ConsoleAccess.class);

    /** The header that carries the CSRF token on every change. */
    public static final String TOKEN_HEADER = "X-Relay-Token";
    /** How long a checked login is remembered. */
    static final Duration REMEMBER = Duration.ofMinutes(5);
    /** How long a failed login waits before its 401. */
    static final Duration FAILURE_DELAY = Duration.ofSeconds(1);

    private final boolean loopback;
    private final UsersFile users;
    private final Clock clock;
    private final String token;
    private final byte[] salt = new byte[32];
    private final Map<String, Long> remembered = new ConcurrentHashMap<>();

    /** The answer when a request may not go on: status and text. */
    public record Refusal(int status, String text) {
    }

    /**
     * @param endpoint the address the ops endpoint is bound to
     * @param users    the console users, or null for none
     */
    public ConsoleAccess(InetSocketAddress endpoint, UsersFile users, Clock clock) {
        this.loopback = endpoint.getAddress().isLoopbackAddress();
        this.users = users;
        this.clock = clock;
        SecureRandom random = new SecureRandom();
        byte[] t = new byte[24];
        random.nextBytes(t);
        this.token = Base64.getUrlEncoder().withoutPadding().encodeToString(t);
        random.nextBytes(salt);
    }

    /** The CSRF token of this relay process, put into the console's page. */
    public String token() {
        return token;
    }

    /** Whether the console can be used at all here (loopback, or users configured). */
    public boolean usable() {
        return loopback || users != null;
    }

    /** Whether a login is asked for. */
    public boolean needsLogin() {
        return users != null;
    }

    /** Why the request may not see the console, or empty when it may. */
    public Optional<Refusal> check(HttpExchange ex) {
        if (!usable()) {
            return Optional.of(new Refusal(403, "the console is off: metrics_listen is not a loopback address and"
                    + " console_users_file is none (set console_users_file to require a login, or use a loopback"
                    + " address)\n"));
        }
        if (users == null && !loopbackHost(ex.getRequestHeaders().getFirst("Host"))) {
            return Optional.of(new Refusal(403, "the console answers only to a loopback host name"
                    + " (http://127.0.0.1:PORT/ or http://localhost:PORT/) when console_users_file is none\n"));
        }
        if (users != null && !loggedIn(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"relay console\", charset=\"UTF-8\"");
            return Optional.of(new Refusal(401, "log in with a user of console_users_file\n"));
        }
        return Optional.empty();
    }

    /** Why a change (POST) may not go on, or empty when it may: the token and the origin. */
    public Optional<Refusal> checkChange(HttpExchange ex) {
        String sent = ex.getRequestHeaders().getFirst(TOKEN_HEADER);
        if (sent == null || !MessageDigest.isEqual(sent.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            return Optional.of(new Refusal(403, "missing or wrong " + TOKEN_HEADER + " (reload the console page;"
                    + " the token changes when the relay restarts)\n"));
        }
        String site = ex.getRequestHeaders().getFirst("Sec-Fetch-Site");
        if (site != null && !site.equals("same-origin") && !site.equals("none")) {
            return Optional.of(new Refusal(403, "a change must come from the console's own page (Sec-Fetch-Site: " + site + ")\n"));
        }
        String origin = ex.getRequestHeaders().getFirst("Origin");
        String host = ex.getRequestHeaders().getFirst("Host");
        if (origin != null && host != null && !origin.equalsIgnoreCase("http://" + host)
                && !origin.equalsIgnoreCase("https://" + host)) {
            return Optional.of(new Refusal(403, "a change must come from the console's own page (Origin: " + origin + ")\n"));
        }
        return Optional.empty();
    }

    /** Whether {@code host} (a Host header) names this machine's loopback. */
    static boolean loopbackHost(String host) {
        if (host == null || host.isBlank()) {
            return false;
        }
        String h = host.strip().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            h = end < 0 ? h : h.substring(1, end);
        } else if (h.indexOf(':') == h.lastIndexOf(':') && h.contains(":")) {
            h = h.substring(0, h.indexOf(':'));
        }
        if (h.equals("localhost") || h.endsWith(".localhost")) {
            return true;
        }
        if (!h.matches("[0-9.]+|[0-9a-f:]+")) {
            return false; // a name: only localhost is known to be loopback without asking DNS
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress(); // a literal: no DNS lookup
        } catch (IOException e) {
            return false;
        }
    }

    private boolean loggedIn(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            return false;
        }
        String user = decoded.substring(0, colon);
        String key = digest(decoded);
        long now = clock.millis();
        Long until = remembered.get(key);
        if (until != null && until > now) {
            return true;
        }
        char[] password = decoded.substring(colon + 1).toCharArray();
        boolean ok;
        try {
            ok = users.authenticate(user, password);
        } catch (IOException e) {
            log.warn("console login: cannot read {}: {}", users.file(), e.getMessage());
            ok = false;
        } finally {
            java.util.Arrays.fill(password, '\0');
        }
        if (ok) {
            remembered.entrySet().removeIf(e -> e.getValue() <= now);
            remembered.put(key, now + REMEMBER.toMillis());
            return true;
        }
        log.warn("console login failed for user {}", user.replaceAll("[^\\x21-\\x7e]", "?"));
        try {
            Thread.sleep(FAILURE_DELAY.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    private String digest(String credentials) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(salt);
            return HexFormat.of().formatHex(d.digest(credentials.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
