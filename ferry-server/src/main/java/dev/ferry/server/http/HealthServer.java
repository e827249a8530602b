package dev.ferry.server.http;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ferry.server.config.ServerConfig.HttpConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Ferry's HTTP listener. For now it serves {@code /healthz} (the process is up) and {@code /readyz} (clients are
 * being served); everything else gets a Google-style JSON error.
 */
public final class HealthServer
        implements AutoCloseable
{
    /** What {@code /readyz} reports: ready or not, and a one-line reason. */
    public record Readiness(boolean ready, String detail) {}

    private static final Logger log = LoggerFactory.getLogger(HealthServer.class);

    private final HttpServer server;
    private final ExecutorService executor;

    private HealthServer(HttpServer server, ExecutorService executor)
    {
        this.server = server;
        this.executor = executor;
    }

    public static HealthServer start(HttpConfig config, Supplier<Readiness> readiness)
    {
        requireNonNull(readiness, "readiness is null");
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(config.host(), config.port()), 64);
        }
        catch (IOException e) {
            throw new IllegalStateException("cannot listen for HTTP on %s:%s: %s".formatted(config.host(), config.port(), e.getMessage()), e);
        }
        ExecutorService executor = Executors.newFixedThreadPool(4, runnable -> {
            Thread thread = new Thread(runnable, "http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> handle(exchange, readiness));
        server.start();
        HealthServer health = new HealthServer(server, executor);
        log.info("HTTP listening on {}:{} (/healthz, /readyz)", config.host(), health.port());
        return health;
    }

    private static void handle(HttpExchange exchange, Supplier<Readiness> readiness)
            throws IOException
    {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            if (!path.equals("/healthz") && !path.equals("/readyz")) {
                error(exchange, 404, "NOT_FOUND", "no resource at " + path);
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                error(exchange, 405, "INVALID_ARGUMENT", "%s supports GET and HEAD, not %s".formatted(path, method));
                return;
            }
            if (path.equals("/healthz")) {
                send(exchange, 200, "{\"status\": \"ok\"}");
                return;
            }
            Readiness state = readiness.get();
            send(exchange, state.ready() ? 200 : 503,
                    "{\"status\": \"%s\", \"detail\": \"%s\"}".formatted(state.ready() ? "ready" : "not ready", json(state.detail())));
        }
    }

    private static void error(HttpExchange exchange, int code, String status, String message)
            throws IOException
    {
        send(exchange, code, "{\"error\": {\"code\": %s, \"message\": \"%s\", \"status\": \"%s\"}}".formatted(code, json(message), status));
    }

    private static void send(HttpExchange exchange, int code, String body)
            throws IOException
    {
        byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(code, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static String json(String text)
    {
        StringBuilder escaped = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> escaped.append("\\\"");
                case '\\' -> escaped.append("\\\\");
                case '\n' -> escaped.append("\\n");
                default -> {
                    if (c < 0x20) {
                        escaped.append("\\u%04x".formatted((int) c));
                    }
                    else {
                        escaped.append(c);
                    }
                }
            }
        }
        return escaped.toString();
    }

    public int port()
    {
        return server.getAddress().getPort();
    }

    @Override
    public void close()
    {
        server.stop(0);
        executor.shutdownNow();
        log.info("HTTP stopped");
    }
}
