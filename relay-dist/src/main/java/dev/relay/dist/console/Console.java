package dev.relay.dist.console;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.relay.dist.ops.Json;
import dev.relay.queue.admin.QueueAdmin;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The queue console: pages for a browser at {@code /} of the ops endpoint (beside {@code /metrics}
 * and {@code /health}), and the JSON they read.
 *
 * <ul>
 *   <li>{@code GET /}, {@code /queue}, {@code /message/ID}: one page (HTML shell, script and style
 *       served from the relay itself, charts by uPlot from its WebJar; nothing from the network);</li>
 *   <li>{@code GET /api/overview}, {@code /api/history}, {@code /api/messages?FILTER&after=&limit=},
 *       {@code /api/count?FILTER}, {@code /api/message/ID}, {@code /api/message/ID/body};</li>
 *   <li>{@code POST /api/action} (form: {@code action}, and {@code id} or {@code scope=filter}
 *       with the filter and {@code expect}), guarded by {@link ConsoleAccess#checkChange}.</li>
 * </ul>
 * Every answer forbids framing and caching and allows scripts and styles from the relay only.
 */
public final class Console implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(Console.class);
    private static final String UPLOT = "META-INF/resources/webjars/uplot/1.6.30/dist/";
    /** The largest body the page shows; the rest is cut with a note. */
    static final int MAX_BODY = 1 << 20;
    private static final int MAX_FORM = 64 * 1024;
    private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private final ConsoleAccess access;
    private final ConsoleApi api;
    private final ConsoleHistory history;
    private final Supplier<String> node;

    /**
     * @param node this relay as a JSON object (host, version, pid, start), for the overview
     */
    public Console(QueueAdmin admin, ConsoleHistory history, ConsoleAccess access, Clock clock, Supplier<String> node) {
        this.access = access;
        this.api = new ConsoleApi(admin, clock);
        this.history = history;
        this.node = node;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        // not try-with-resources: the catch blocks still answer on the exchange, closed after them
        try {
            ex.getResponseHeaders().set("Content-Security-Policy", CSP);
            ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            ex.getResponseHeaders().set("X-Frame-Options", "DENY");
            ex.getResponseHeaders().set("Referrer-Policy", "no-referrer");
            Optional<ConsoleAccess.Refusal> refused = access.check(ex);
            if (refused.isPresent()) {
                send(ex, refused.get().status(), "text/plain; charset=utf-8", refused.get().text());
                return;
            }
            route(ex);
        } catch (ConsoleApi.BadRequest e) {
            send(ex, e.status, "application/json", "{\"error\":" + Json.string(e.getMessage()) + "}");
        } catch (RuntimeException e) {
            log.warn("console: {} {}: {}", ex.getRequestMethod(), ex.getRequestURI().getPath(), e.toString());
            send(ex, 500, "application/json", "{\"error\":" + Json.string("the relay could not answer: " + e.getMessage()) + "}");
        } finally {
            ex.close();
        }
    }

    private void route(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String method = ex.getRequestMethod();
        if (path.equals("/api/action")) {
            if (!method.equals("POST")) {
                notAllowed(ex, "POST");
                return;
            }
            Optional<ConsoleAccess.Refusal> refused = access.checkChange(ex);
            if (refused.isPresent()) {
                send(ex, refused.get().status(), "text/plain; charset=utf-8", refused.get().text());
                return;
            }
            String type = ex.getRequestHeaders().getFirst("Content-Type");
            if (type == null || !type.toLowerCase(java.util.Locale.ROOT).startsWith("application/x-www-form-urlencoded")) {
                send(ex, 415, "text/plain; charset=utf-8", "send the action as application/x-www-form-urlencoded\n");
                return;
            }
            Map<String, String> form = parse(readForm(ex));
            String result = api.act(form);
            log.info("console: {} by {}: {}", form.get("action"), who(ex), result);
            json(ex, result);
            return;
        }
        if (!method.equals("GET") && !method.equals("HEAD")) {
            notAllowed(ex, "GET, HEAD");
            return;
        }
        Map<String, String> q = parse(ex.getRequestURI().getRawQuery());
        if (path.equals("/") || path.equals("/queue") || path.startsWith("/message/")) {
            page(ex);
        } else if (path.startsWith("/assets/")) {
            asset(ex, path.substring("/assets/".length()));
        } else if (path.equals("/api/overview")) {
            json(ex, api.overview(node.get()));
        } else if (path.equals("/api/history")) {
            json(ex, history.json());
        } else if (path.equals("/api/messages")) {
            json(ex, api.messages(q));
        } else if (path.equals("/api/count")) {
            json(ex, api.count(q));
        } else if (path.startsWith("/api/message/") && path.endsWith("/body")) {
            body(ex, path.substring("/api/message/".length(), path.length() - "/body".length()));
        } else if (path.startsWith("/api/message/")) {
            json(ex, api.message(path.substring("/api/message/".length())));
        } else {
            send(ex, 404, "text/plain; charset=utf-8", "not found: the console is at /, metrics at /metrics, health at /health\n");
        }
    }

    private String who(HttpExchange ex) {
        String a = ex.getRequestHeaders().getFirst("Authorization");
        if (a != null && a.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String d = new String(java.util.Base64.getDecoder().decode(a.substring(6).strip()), StandardCharsets.UTF_8);
                return "user " + d.substring(0, Math.max(0, d.indexOf(':')));
            } catch (IllegalArgumentException e) {
                return "?";
            }
        }
        return ex.getRemoteAddress().getAddress().getHostAddress();
    }

    private void page(HttpExchange ex) throws IOException {
        String html = resource("index.html").replace("@TOKEN@", access.token());
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        send(ex, 200, "text/html; charset=utf-8", html);
    }

    private void asset(HttpExchange ex, String name) throws IOException {
        String file;
        String type;
        switch (name) {
            case "console.js" -> {
                file = "dev/relay/dist/console/console.js";
                type = "text/javascript; charset=utf-8";
            }
            case "console.css" -> {
                file = "dev/relay/dist/console/console.css";
                type = "text/css; charset=utf-8";
            }
            case "uPlot.js" -> {
                file = UPLOT + "uPlot.iife.min.js";
                type = "text/javascript; charset=utf-8";
            }
            case "uPlot.css" -> {
                file = UPLOT + "uPlot.min.css";
                type = "text/css; charset=utf-8";
            }
            default -> {
                send(ex, 404, "text/plain; charset=utf-8", "no such asset: " + name + "\n");
                return;
            }
        }
        byte[] bytes;
        try (InputStream in = Console.class.getClassLoader().getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException(file + " is missing from the class path");
            }
            bytes = in.readAllBytes();
        }
        ex.getResponseHeaders().set("Cache-Control", "max-age=3600");
        send(ex, 200, type, bytes);
    }

    private void body(HttpExchange ex, String id) throws IOException {
        Optional<InputStream> body = api.body(id);
        if (body.isEmpty()) {
            throw new ConsoleApi.BadRequest(404, id + " is not in the queue");
        }
        byte[] bytes;
        boolean cut;
        try (InputStream in = body.get()) {
            bytes = in.readNBytes(MAX_BODY);
            cut = in.read() >= 0;
        }
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        if (cut) {
            ex.getResponseHeaders().set("X-Relay-Truncated", Integer.toString(MAX_BODY));
        }
        send(ex, 200, "text/plain; charset=utf-8", bytes);
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = Console.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String readForm(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                if (out.size() > MAX_FORM) {
                    throw new ConsoleApi.BadRequest(413, "the form is larger than " + MAX_FORM + " bytes");
                }
            }
            return out.toString(StandardCharsets.US_ASCII);
        }
    }

    /** {@code a=1&b=2} (URL-encoded) as a map; a name given twice keeps the first; bad escapes are a 400. */
    static Map<String, String> parse(String query) {
        Map<String, String> m = new LinkedHashMap<>();
        if (query == null || query.isEmpty()) {
            return m;
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                m.putIfAbsent(k, v);
            } catch (IllegalArgumentException e) {
                throw new ConsoleApi.BadRequest("bad URL encoding in '" + pair + "'");
            }
        }
        return m;
    }

    private static void notAllowed(HttpExchange ex, String allow) throws IOException {
        ex.getResponseHeaders().set("Allow", allow);
        send(ex, 405, "text/plain; charset=utf-8", "method not allowed\n");
    }

    private static void json(HttpExchange ex, String body) throws IOException {
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        send(ex, 200, "application/json", body);
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        send(ex, status, type, body.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, String type, byte[] bytes) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length == 0 ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }
}
