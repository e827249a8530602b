package dev.ferry.control.rest;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ferry.front.tls.TlsMaterial;
import dev.ferry.front.tls.TlsReloader;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Ferry's HTTP listener, on Jetty: hands each request to the {@link RestEdge} and writes its answer. Only this class
 * knows the HTTP server; the routes and handlers see a {@link Request}.
 *
 * <p>Jetty reads requests without a thread per connection: a client that sends half a request and stalls holds a
 * connection, not a worker, and is closed after {@link Limits#idleTimeout()} without a byte; a request line and
 * headers larger than {@link Limits#maxHeaderBytes()} are refused with 431 before any handler runs. Workers come from
 * a bounded pool, and connections beyond {@link Limits#maxConnections()} wait in the accept queue instead of being
 * read. (The JDK's HTTP server it replaces gave each connection one of 8 threads until its request was whole, with no
 * read timeout: twelve stalled connections stopped the port, {@code /healthz} included.)
 */
public final class RestServer
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(RestServer.class);

    /**
     * @param idleTimeout how long a connection may send nothing (inside a request, or between two) before it is closed
     * @param maxHeaderBytes the largest request line and headers accepted
     * @param maxThreads the workers that run handlers
     * @param maxConnections open connections at most; more wait to be accepted
     */
    public record Limits(Duration idleTimeout, int maxHeaderBytes, int maxThreads, int maxConnections)
    {
        public Limits
        {
            requireNonNull(idleTimeout, "idleTimeout is null");
            if (idleTimeout.isNegative() || idleTimeout.isZero() || maxHeaderBytes < 1024 || maxThreads < 4 || maxConnections < 1) {
                throw new IllegalArgumentException("invalid HTTP limits: " + idleTimeout + ", " + maxHeaderBytes + ", " + maxThreads + ", " + maxConnections);
            }
        }

        public static Limits defaults()
        {
            return new Limits(Duration.ofSeconds(30), 16 * 1024, 64, 1_000);
        }
    }

    private final Server server;
    private final ServerConnector connector;

    private RestServer(Server server, ServerConnector connector)
    {
        this.server = server;
        this.connector = connector;
    }

    public static RestServer start(String host, int port, RestEdge edge)
    {
        return start(host, port, edge, Limits.defaults());
    }

    public static RestServer start(String host, int port, RestEdge edge, Limits limits)
    {
        return start(host, port, edge, limits, Optional.empty());
    }

    /** With {@code tls}, the port speaks HTTPS only. */
    public static RestServer start(String host, int port, RestEdge edge, Limits limits, Optional<TlsMaterial> tls)
    {
        requireNonNull(tls, "tls is null");
        requireNonNull(edge, "edge is null");
        requireNonNull(limits, "limits is null");
        QueuedThreadPool threads = new QueuedThreadPool(limits.maxThreads(), Math.min(8, limits.maxThreads()));
        threads.setName("http");
        threads.setDaemon(true);
        Server server = new Server(threads);
        HttpConfiguration configuration = new HttpConfiguration();
        configuration.setRequestHeaderSize(limits.maxHeaderBytes());
        configuration.setSendServerVersion(false);
        configuration.setSendDateHeader(false);
        // Jetty's default URI compliance: an ambiguous path (an encoded "/" or "..") or one with an encoded control
        // character (%00) is refused with 400, in the API's error shape (ProtocolErrors), before any route sees it.
        ServerConnector connector;
        if (tls.isPresent()) {
            SslContextFactory.Server ssl = sslContextFactory(tls.get());
            // Clients reach Ferry by whatever name or address routes to it; the certificate is checked by them.
            configuration.addCustomizer(new SecureRequestCustomizer(false));
            connector = new ServerConnector(server, 1, 1, new SslConnectionFactory(ssl, HttpVersion.HTTP_1_1.asString()), new HttpConnectionFactory(configuration));
            server.addBean(new TlsReloading(tls.get(), ssl));
        }
        else {
            connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(configuration));
        }
        connector.setHost(host);
        connector.setPort(port);
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        connector.setAcceptQueueSize(128);
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(limits.maxConnections(), connector));
        server.setHandler(new EdgeHandler(edge));
        server.setErrorHandler(new ProtocolErrors());
        server.setStopTimeout(2_000);
        try {
            server.start();
        }
        catch (Exception e) {
            try {
                server.stop();
            }
            catch (Exception stopping) {
                e.addSuppressed(stopping);
            }
            throw new IllegalStateException("cannot listen for HTTP on %s:%s: %s".formatted(host, port, e.getMessage()), e);
        }
        RestServer rest = new RestServer(server, connector);
        log.info("{} listening on {}:{} (REST API under /v1, web console under /console/, /healthz, /readyz, /metrics; idle timeout {} s, headers up to {} bytes{})",
                tls.isPresent() ? "HTTPS" : "HTTP", host, rest.port(), limits.idleTimeout().toSeconds(), limits.maxHeaderBytes(),
                tls.flatMap(TlsMaterial::clientCa).map(ca -> "; client certificates signed by " + ca + " required").orElse(""));
        return rest;
    }

    public int port()
    {
        return connector.getLocalPort();
    }

    private static SslContextFactory.Server sslContextFactory(TlsMaterial tls)
    {
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(tls.keyStore());
        ssl.setKeyStorePassword(tls.keyPassword());
        ssl.setKeyManagerPassword(tls.keyPassword());
        tls.clientTrustStore().ifPresent(trust -> {
            ssl.setTrustStore(trust);
            ssl.setNeedClientAuth(true);
        });
        return ssl;
    }

    /** The shared {@link TlsReloader}, started and stopped with the server: a renewed certificate serves new connections. */
    private static final class TlsReloading
            extends org.eclipse.jetty.util.component.AbstractLifeCycle
    {
        private final TlsMaterial tls;
        private final SslContextFactory.Server ssl;
        private TlsReloader reloader;

        TlsReloading(TlsMaterial tls, SslContextFactory.Server ssl)
        {
            this.tls = tls;
            this.ssl = ssl;
        }

        @Override
        protected void doStart()
        {
            reloader = TlsReloader.start(tls, "HTTPS", files -> {
                java.security.KeyStore keys = files.keyStore();
                Optional<java.security.KeyStore> trust = files.clientTrustStore();
                try {
                    ssl.reload(factory -> {
                        factory.setKeyStore(keys);
                        trust.ifPresent(factory::setTrustStore);
                    });
                }
                catch (Exception e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
            });
        }

        @Override
        protected void doStop()
        {
            reloader.close();
        }
    }

    /** Runs the edge on a worker (it may block: a handler reads the body and calls the control plane). */
    private static final class EdgeHandler
            extends Handler.Abstract
    {
        private final RestEdge edge;

        EdgeHandler(RestEdge edge)
        {
            super(InvocationType.BLOCKING);
            this.edge = edge;
        }

        @Override
        public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response, Callback callback)
        {
            Response answer = edge.handle(new JettyRequest(request));
            response.setStatus(answer.status());
            for (Map.Entry<String, String> header : answer.headers().entrySet()) {
                response.getHeaders().put(header.getKey(), header.getValue());
            }
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, answer.contentType());
            // A request answered without its body (refused before it was read: 401, 403, 404, ...) may still be sending
            // it: what arrived is dropped, and if some has not, Jetty ends the connection after the answer. The answer
            // says so; else a client sends its next request there and gets no answer (the JDK's client and curl retry
            // only GETs on a connection found closed).
            if (!request.consumeAvailable()) {
                response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
            }
            if (HttpMethod.HEAD.is(request.getMethod())) {
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.body().length);
                response.write(true, null, callback);
            }
            else {
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, answer.body().length);
                response.write(true, ByteBuffer.wrap(answer.body()), callback);
            }
            return true;
        }
    }

    /**
     * What Jetty answers itself, before any handler (a request line or headers over the bound: 414, 431; a request
     * it cannot parse or an ambiguous path: 400), in the API's error shape rather than an HTML page.
     */
    private static final class ProtocolErrors
            extends ErrorHandler
    {
        @Override
        protected void generateResponse(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response, int code, String message,
                Throwable cause, Callback callback)
        {
            String reason = switch (code) {
                case 414 -> "the request line is longer than the server accepts";
                case 431 -> "the request's headers are larger than the server accepts";
                default -> message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
            };
            String status = code >= 500 ? "INTERNAL" : code == 404 ? "NOT_FOUND" : code == 405 ? "NOT_FOUND" : "INVALID_ARGUMENT";
            ObjectNode body = Call.JSON.createObjectNode();
            ObjectNode error = body.putObject("error");
            error.put("code", code);
            error.put("message", reason);
            error.put("status", status);
            ArrayNode details = error.putArray("details");
            if (status.equals("INVALID_ARGUMENT")) {
                ObjectNode badRequest = details.addObject();
                badRequest.put("@type", "type.googleapis.com/google.rpc.BadRequest");
                badRequest.putArray("fieldViolations").addObject().put("field", code == 431 ? "(headers)" : "(request line)").put("description", reason);
            }
            byte[] bytes = body.toString().getBytes(StandardCharsets.UTF_8);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
            // Jetty ends the connection after a request it could not take; saying so keeps a client from sending its
            // next request on it (the JDK's client and curl retry only GETs on a connection found closed: a DELETE
            // or POST sent there fails with no answer).
            response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
            response.write(true, ByteBuffer.wrap(bytes), callback);
        }
    }

    /** Jetty's request as a {@link Request}. */
    private record JettyRequest(org.eclipse.jetty.server.Request request)
            implements Request
    {
        @Override
        public String method()
        {
            return request.getMethod();
        }

        @Override
        public String path()
        {
            String decoded = request.getHttpURI().getDecodedPath();
            return decoded == null ? "/" : decoded;
        }

        @Override
        public String rawPath()
        {
            String raw = request.getHttpURI().getPath();
            return raw == null ? "/" : raw;
        }

        @Override
        public Optional<String> rawQuery()
        {
            return Optional.ofNullable(request.getHttpURI().getQuery());
        }

        @Override
        public Optional<String> header(String name)
        {
            return Optional.ofNullable(request.getHeaders().get(name));
        }

        @Override
        public InputStream body()
        {
            return Content.Source.asInputStream(request);
        }
    }

    @Override
    public void close()
    {
        try {
            server.stop();
        }
        catch (Exception e) {
            log.warn("Stopping the HTTP server: {}", e.getMessage());
        }
        log.info("HTTP stopped");
    }
}
