package dev.ferry.front;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;

import org.apache.thrift.TApplicationException;
import org.apache.thrift.TException;
import org.apache.thrift.protocol.TMessage;
import org.apache.thrift.protocol.TMessageType;
import org.apache.thrift.protocol.TProtocol;
import org.apache.thrift.protocol.TProtocolFactory;
import org.apache.thrift.transport.TServerSocket;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.TTransportException;
import org.apache.thrift.transport.layered.TFramedTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The Thrift front's listening socket: gives each accepted connection the client timeout (a silent client is
 * disconnected, and its thread ends), and serves at most {@code maxConnections} at once. One more is answered with a
 * TApplicationException saying so, which an HMS client raises as the error of its call, and closed.
 *
 * <p>With TLS, each accepted connection is layered in TLS by the context current when it is accepted, rather than the
 * port being an SSLServerSocket fixed at bind time: a reloaded certificate serves the next connection, and the limits
 * above apply as they do without TLS (the timeout is the TCP socket's, the handshake included, and the sizes are
 * checked by the protocol on the decrypted bytes). The handshake happens on the connection's own thread, at its first
 * read, so a slow or failing one never holds up accepting the others.
 */
final class LimitedServerSocket
        extends TServerSocket
{
    private static final Logger log = LoggerFactory.getLogger(LimitedServerSocket.class);

    private final ThriftFrontConfig config;
    private final TProtocolFactory protocolFactory;
    private final AtomicInteger open = new AtomicInteger();
    /** The TLS context new connections get, or null: no TLS. */
    private final AtomicReference<SSLContext> tls;
    private final boolean needClientAuth;
    private final ExecutorService refusals = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new ArrayBlockingQueue<>(64), runnable -> {
        Thread thread = new Thread(runnable, "thrift-front-refuse");
        thread.setDaemon(true);
        return thread;
    });

    /** With {@code tls} null, plain TCP; else every connection speaks TLS, requiring a client certificate if {@code needClientAuth}. */
    LimitedServerSocket(ServerSocketTransportArgs args, ThriftFrontConfig config, TProtocolFactory protocolFactory, SSLContext tls, boolean needClientAuth)
            throws TTransportException
    {
        super(args);
        this.config = requireNonNull(config, "config is null");
        this.protocolFactory = requireNonNull(protocolFactory, "protocolFactory is null");
        this.tls = tls == null ? null : new AtomicReference<>(tls);
        this.needClientAuth = needClientAuth;
    }

    /** The TLS context of the connections accepted from now on (those open keep theirs). */
    void useTls(SSLContext context)
    {
        requireNonNull(context, "context is null");
        if (tls == null) {
            throw new IllegalStateException("the Thrift front was started without TLS");
        }
        tls.set(context);
    }

    /** The connection in TLS, as the server, when the front has TLS; the handshake is at the first read or write. */
    private Socket secured(Socket socket)
            throws IOException
    {
        if (tls == null) {
            return socket;
        }
        SSLSocket secure = (SSLSocket) tls.get().getSocketFactory().createSocket(socket, null, true);
        secure.setUseClientMode(false);
        secure.setNeedClientAuth(needClientAuth);
        return secure;
    }

    /** Connections being served now. */
    int openConnections()
    {
        return open.get();
    }

    @Override
    public TSocket accept()
            throws TTransportException
    {
        while (true) {
            Socket socket;
            try {
                socket = getServerSocket().accept();
            }
            catch (IOException e) {
                throw new TTransportException(e);
            }
            if (open.get() >= config.maxConnections()) {
                refuse(socket);
                continue;
            }
            Socket served;
            try {
                socket.setSoTimeout((int) config.clientTimeout().toMillis());
                socket.setTcpNoDelay(true);
                socket.setKeepAlive(true);
                served = secured(socket);
            }
            catch (IOException e) {
                close(socket);
                continue;
            }
            open.incrementAndGet();
            return new CountedSocket(served, open::decrementAndGet);
        }
    }

    private void refuse(Socket socket)
    {
        log.warn("Thrift front: refused a connection from {}: {} connections are open, thrift.max-connections is {}", socket.getRemoteSocketAddress(), open.get(),
                config.maxConnections());
        try {
            refusals.execute(() -> answerRefusal(socket));
        }
        catch (RejectedExecutionException e) {
            close(socket);
        }
    }

    /** Writes the error in the front's transport and protocol, lets the client's request arrive (at most 2 s), and closes. */
    private void answerRefusal(Socket socket)
    {
        try {
            socket.setSoTimeout(2_000);
            socket = secured(socket);
            TTransport transport = new TSocket(socket);
            if (config.transport() == ThriftFrontConfig.Transport.FRAMED) {
                transport = new TFramedTransport(transport, config.maxMessageBytes());
            }
            TProtocol protocol = protocolFactory.getProtocol(transport);
            protocol.writeMessageBegin(new TMessage("", TMessageType.EXCEPTION, 0));
            new TApplicationException(TApplicationException.INTERNAL_ERROR, ("Ferry serves at most %s Thrift connections at once (thrift.max-connections) and all are in use; "
                    + "close idle connections or try again later").formatted(config.maxConnections())).write(protocol);
            protocol.writeMessageEnd();
            transport.flush();
            socket.shutdownOutput();
            InputStream in = socket.getInputStream();
            byte[] discard = new byte[8192];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < deadline && in.read(discard) >= 0) {
                // The client's request, unread: closing before it arrived could reset the connection before the
                // client reads the error.
            }
        }
        catch (TException | IOException e) {
            log.debug("Thrift front: could not answer a refused connection: {}", e.getMessage());
        }
        finally {
            close(socket);
        }
    }

    private static void close(Socket socket)
    {
        try {
            socket.close();
        }
        catch (IOException e) {
            // Closing anyway.
        }
    }

    @Override
    public void close()
    {
        super.close();
        refusals.shutdownNow();
    }

    /**
     * An accepted connection that counts itself out once, when closed. In TLS, it shakes hands before its first read
     * (on its own thread, under the client timeout): a client that fails the handshake (it does not trust the
     * certificate, has none of the client CA, or does not speak TLS) is logged in one line with its address and the
     * reason, and the connection ends as one the client closed, rather than as an error of the Thrift server with its
     * stack trace.
     */
    private static final class CountedSocket
            extends TSocket
    {
        private final Runnable onClose;
        private final AtomicBoolean closed = new AtomicBoolean();
        private boolean handshakeDone;

        CountedSocket(Socket socket, Runnable onClose)
                throws TTransportException
        {
            super(socket);
            this.onClose = onClose;
            this.handshakeDone = !(socket instanceof SSLSocket);
        }

        @Override
        public int read(byte[] buffer, int offset, int length)
                throws TTransportException
        {
            if (!handshakeDone) {
                handshake();
            }
            return super.read(buffer, offset, length);
        }

        private void handshake()
                throws TTransportException
        {
            SSLSocket secure = (SSLSocket) getSocket();
            try {
                secure.startHandshake();
                handshakeDone = true;
            }
            catch (SSLException e) {
                log.warn("Thrift front: TLS handshake with {} failed: {}", secure.getRemoteSocketAddress(), e.getMessage());
                throw new TTransportException(TTransportException.END_OF_FILE, "TLS handshake failed: " + e.getMessage());
            }
            catch (IOException e) {
                // Silent past the client timeout, or gone: as a connection closed without TLS.
                throw new TTransportException(TTransportException.END_OF_FILE, "TLS handshake not completed: " + e.getMessage());
            }
        }

        @Override
        public void close()
        {
            super.close();
            if (closed.compareAndSet(false, true)) {
                onClose.run();
            }
        }
    }
}
