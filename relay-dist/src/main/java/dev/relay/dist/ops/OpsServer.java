package dev.relay.dist.ops;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operations endpoint: {@code GET /metrics} in the Prometheus text format and
 * {@code GET /health} as JSON (HTTP 200 when every check is up, 503 otherwise), and what is
 * {@linkplain #mount mounted} at {@code /} (the queue console). It binds to a loopback address
 * unless the configuration allowed another ({@code metrics_allow_remote}); it uses the JDK's HTTP
 * server on a few threads of its own, away from mail traffic, so that a long console action does
 * not hold up a scrape.
 */
public final class OpsServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OpsServer.class);

    private final HttpServer http;
    private final ExecutorService executor;

    private OpsServer(HttpServer http, ExecutorService executor) {
        this.http = http;
        this.executor = executor;
    }

    /** Threads answering requests. */
    private static final int THREADS = 4;

    /**
     * Binds {@code address} and serves {@code registry} and {@code checks}. Whether an address other
     * than loopback may be used is the configuration's decision ({@code metrics_allow_remote}).
     */
    public static OpsServer start(InetSocketAddress address, PrometheusMeterRegistry registry, List<HealthCheck> checks)
            throws IOException {
        HttpServer http = HttpServer.create(address, 16);
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(THREADS, r -> {
            Thread t = new Thread(r, "metrics-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        http.setExecutor(executor);
        http.createContext("/metrics", ex -> {
            if (allowed(ex)) {
                send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", registry.scrape());
            }
        });
        http.createContext("/health", ex -> {
            if (allowed(ex)) {
                Health h = Health.run(checks);
                send(ex, h.up() ? 200 : 503, "application/json", h.toJson());
            }
        });
        http.createContext("/", ex -> send(ex, 404, "text/plain; charset=utf-8", "not found: try /metrics or /health\n"));
        http.start();
        OpsServer s = new OpsServer(http, executor);
        log.info("metrics and health on http://{}/metrics and /health", format(s.address()));
        return s;
    }

    /** Serves {@code handler} at {@code /} (every path but /metrics and /health) instead of the 404. */
    public void mount(HttpHandler handler) {
        http.removeContext("/");
        http.createContext("/", handler);
    }

    /** The bound address (with the real port when 0 was asked for). */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    private static boolean allowed(HttpExchange ex) throws IOException {
        String m = ex.getRequestMethod();
        if (!m.equals("GET") && !m.equals("HEAD")) {
            ex.getResponseHeaders().set("Allow", "GET, HEAD");
            send(ex, 405, "text/plain; charset=utf-8", "method not allowed\n");
            return false;
        }
        return true;
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }

    private static String format(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
    }
}
