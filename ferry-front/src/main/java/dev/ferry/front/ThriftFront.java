package dev.ferry.front;

import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLContext;
import javax.security.auth.Subject;

import dev.ferry.front.kerberos.KerberosLogin;
import dev.ferry.front.tls.TlsMaterial;
import dev.ferry.front.tls.TlsReloader;
import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.protocol.TProtocolFactory;
import org.apache.thrift.server.TServer;
import org.apache.thrift.server.TThreadPoolServer;
import org.apache.thrift.transport.TServerSocket;
import org.apache.thrift.transport.TTransportException;
import org.apache.thrift.transport.layered.TFramedTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The Thrift server HMS clients connect to. One thread per connection, as in HMS; a thread ends when its
 * connection closes (or stays silent for the client timeout), taking the engines' per-thread state with it. What one
 * connection may make it hold is bounded: at most {@code maxConnections} connections, no frame, string or container
 * over {@code maxMessageBytes}, checked before anything is allocated for it. With TLS configured, the port speaks TLS
 * only, as an HMS with {@code metastore.use.SSL} does, and a renewed certificate serves new connections without a
 * restart. With Kerberos configured, every connection authenticates in SASL GSSAPI first (over TLS when both are set),
 * as with an HMS that has {@code metastore.sasl.enabled}, and its calls run as its user.
 */
public final class ThriftFront
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(ThriftFront.class);

    private final ThriftFrontConfig config;
    private final LimitedServerSocket socket;
    private final TServer server;
    private final ExecutorService workers;
    private final Thread serving;
    private final Optional<TlsReloader> tlsReloader;

    private ThriftFront(ThriftFrontConfig config, LimitedServerSocket socket, TServer server, ExecutorService workers)
    {
        this.config = config;
        this.socket = socket;
        this.server = server;
        this.workers = workers;
        this.serving = new Thread(server::serve, "thrift-front-accept");
        this.tlsReloader = config.tls().map(tls -> TlsReloader.start(tls, "Thrift TLS", files -> socket.useTls(files.sslContext())));
    }

    /**
     * Binds the port and starts serving the router's API, with the methods HMS 4.0 removed; fails at once when the
     * port is taken.
     */
    public static ThriftFront start(ThriftFrontConfig config, Router router)
    {
        requireNonNull(config, "config is null");
        requireNonNull(router, "router is null");
        TProtocolFactory protocolFactory = protocolFactory(config.protocol(), config.maxMessageBytes());
        // Read before binding: files that do not read fail the start, with what is wrong with them.
        SSLContext tls = config.tls().map(TlsMaterial::sslContext).orElse(null);
        Subject kerberos = config.kerberos().map(KerberosLogin::login).orElse(null);
        LimitedServerSocket socket;
        try {
            socket = new LimitedServerSocket(new TServerSocket.ServerSocketTransportArgs()
                    .bindAddr(new InetSocketAddress(config.host(), config.port()))
                    .backlog(Math.min(config.maxConnections(), 1024))
                    .clientTimeout((int) config.clientTimeout().toMillis()), config, protocolFactory, tls,
                    config.tls().flatMap(TlsMaterial::clientCa).isPresent());
        }
        catch (TTransportException e) {
            throw new IllegalStateException("cannot listen for Thrift clients on %s:%s: %s"
                    .formatted(config.host(), config.port(), e.getMessage()), e);
        }
        AtomicInteger threadNumber = new AtomicInteger();
        // A few threads beyond the connection limit: a connection counts itself out as it closes, a moment before its
        // thread is free for the next.
        ThreadPoolExecutor workers = new ThreadPoolExecutor(0, config.maxConnections() + 16, 0, TimeUnit.SECONDS,
                new SynchronousQueue<>(), runnable -> {
                    Thread thread = new Thread(runnable, "thrift-front-" + threadNumber.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        TThreadPoolServer.Args args = new TThreadPoolServer.Args(socket)
                .processor(Caller.authenticated(new LegacyProcessor(new ThriftHiveMetastore.Processor<>(router.iface()), router.legacyApi())))
                .protocolFactory(protocolFactory)
                .executorService(workers);
        if (config.transport() == ThriftFrontConfig.Transport.FRAMED) {
            args.transportFactory(new TFramedTransport.Factory(config.maxMessageBytes()));
        }
        if (kerberos != null) {
            args.transportFactory(new KerberosTransportFactory(config.kerberos().orElseThrow(), kerberos, config.maxMessageBytes()));
        }
        ThriftFront front = new ThriftFront(config, socket, new TThreadPoolServer(args), workers);
        front.serving.setDaemon(true);
        front.serving.start();
        log.info("Thrift front listening on {}:{} ({}{}{} transport, {} protocol; at most {} connections, messages of {} bytes, clients silent for {} ms{})", config.host(), front.port(),
                config.tls().isPresent() ? "TLS, " : "", config.kerberos().map(k -> "Kerberos as " + k.principal() + " (SASL QOP " + k.minimumQop().saslName() + " or stronger), ").orElse(""),
                config.transport(), config.protocol(), config.maxConnections(), config.maxMessageBytes(),
                config.clientTimeout().toMillis(), config.tls().flatMap(TlsMaterial::clientCa).map(ca -> "; client certificates signed by " + ca + " required").orElse(""));
        return front;
    }

    /**
     * The protocol, refusing a string, binary or container longer than {@code maxMessageBytes} before allocating it
     * (none of a real request can be: each element takes at least a byte), whichever the transport.
     */
    private static TProtocolFactory protocolFactory(ThriftFrontConfig.Protocol protocol, int maxMessageBytes)
    {
        return switch (protocol) {
            case BINARY -> new TBinaryProtocol.Factory(false, true, maxMessageBytes, maxMessageBytes);
            case COMPACT -> new TCompactProtocol.Factory(maxMessageBytes, maxMessageBytes);
        };
    }

    /** Connections being served now. */
    public int openConnections()
    {
        return socket.openConnections();
    }

    /** The bound port: the configured one, or the one chosen when it was 0. */
    public int port()
    {
        return socket.getServerSocket().getLocalPort();
    }

    public ThriftFrontConfig config()
    {
        return config;
    }

    @Override
    public void close()
    {
        tlsReloader.ifPresent(TlsReloader::close);
        server.stop();
        socket.close();
        workers.shutdownNow();
        try {
            serving.join(5_000);
            workers.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("Thrift front stopped");
    }
}
