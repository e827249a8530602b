package dev.ferry.front;

import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.PrivilegedActionException;
import java.security.PrivilegedExceptionAction;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import javax.security.auth.Subject;
import javax.security.auth.callback.Callback;
import javax.security.auth.callback.CallbackHandler;
import javax.security.auth.callback.UnsupportedCallbackException;
import javax.security.sasl.AuthorizeCallback;
import javax.security.sasl.Sasl;
import javax.security.sasl.SaslException;
import javax.security.sasl.SaslServer;

import dev.ferry.front.kerberos.KerberosService;
import org.apache.thrift.transport.TSaslServerTransport;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.TTransportException;
import org.apache.thrift.transport.TTransportFactory;
import org.apache.thrift.transport.sasl.NegotiationStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * Kerberos on the Thrift front: every connection shakes hands in SASL GSSAPI, as the Thrift SASL transport of an
 * HMS with {@code metastore.sasl.enabled}, before its first call. The handshake runs on the connection's own thread
 * (the Thrift server asks for the transport there, not in its accept loop), as the service's login subject, under
 * the client timeout of the socket; a client that does not complete it (a plain Thrift client, one without a
 * ticket, one whose ticket is not for this service) is logged once with its address and disconnected, as a client
 * that closed its connection is.
 *
 * <p>Unlike libthrift's {@link TSaslServerTransport.Factory}, which opens transports in a method synchronized on a
 * map shared by all connections, handshakes here run side by side, and no length a client declares is allocated
 * before it is checked: a handshake message holds at most {@link #MAX_HANDSHAKE_BYTES}, a data frame at most
 * {@code thrift.max-message-size}.
 */
final class KerberosTransportFactory
        extends TTransportFactory
{
    private static final Logger log = LoggerFactory.getLogger(KerberosTransportFactory.class);
    /** Kerberos' AP-REQ with a large PAC stays far below it. */
    static final int MAX_HANDSHAKE_BYTES = 1024 * 1024;

    private final KerberosService service;
    private final Subject subject;
    private final int maxFrameBytes;
    private final Map<String, String> saslProperties;
    /** The transports whose handshake is done, by their socket: the server asks for the input and output one in turn. */
    private final Map<TTransport, TSaslServerTransport> open = new ConcurrentHashMap<>();

    KerberosTransportFactory(KerberosService service, Subject subject, int maxFrameBytes)
    {
        this.service = requireNonNull(service, "service is null");
        this.subject = requireNonNull(subject, "subject is null");
        this.maxFrameBytes = maxFrameBytes;
        this.saslProperties = Map.of(Sasl.QOP, service.minimumQop().saslServerList(), Sasl.SERVER_AUTH, "true");
    }

    @Override
    public TTransport getTransport(TTransport base)
            throws TTransportException
    {
        TSaslServerTransport existing = open.get(base);
        if (existing != null) {
            return existing;
        }
        Object address = remoteAddress(base);
        try {
            TSaslServerTransport transport = Subject.doAs(subject, (PrivilegedExceptionAction<TSaslServerTransport>) () -> {
                TSaslServerTransport sasl = new BoundedSaslServerTransport(base);
                sasl.open();
                return sasl;
            });
            open.put(base, transport);
            return transport;
        }
        catch (PrivilegedActionException | RefusedHandshake e) {
            Throwable cause = e instanceof RefusedHandshake ? e : e.getCause();
            String reason;
            if (cause instanceof TTransportException transportException && transportException.getType() == TTransportException.END_OF_FILE) {
                reason = "it closed the connection before authenticating";
            }
            else if (cause instanceof TTransportException transportException && transportException.getCause() instanceof SocketTimeoutException) {
                reason = "it stayed silent for thrift.client-timeout in the middle of the handshake";
            }
            else {
                reason = cause.getMessage();
            }
            log.warn("Thrift front: refused a connection from {}: Kerberos (SASL GSSAPI) authentication as a client of {} did not complete: {}",
                    address, service.principal(), reason);
            base.close();
            throw new TTransportException(TTransportException.END_OF_FILE, "Kerberos authentication failed: " + reason);
        }
    }

    private static Object remoteAddress(TTransport base)
    {
        if (base instanceof TSocket socket) {
            Socket raw = socket.getSocket();
            return raw == null ? "an unknown address" : raw.getRemoteSocketAddress();
        }
        return base;
    }

    /** Authorizes a client as itself only: a client may not ask to act as another user. */
    private static final class SameUser
            implements CallbackHandler
    {
        @Override
        public void handle(Callback[] callbacks)
                throws UnsupportedCallbackException
        {
            for (Callback callback : callbacks) {
                if (!(callback instanceof AuthorizeCallback authorize)) {
                    throw new UnsupportedCallbackException(callback);
                }
                boolean same = authorize.getAuthenticationID().equals(authorize.getAuthorizationID());
                authorize.setAuthorized(same);
                if (same) {
                    authorize.setAuthorizedID(authorize.getAuthorizationID());
                }
            }
        }
    }

    /**
     * The Thrift SASL server transport with every declared length checked before it is allocated, and which forgets
     * its socket when closed.
     */
    private final class BoundedSaslServerTransport
            extends TSaslServerTransport
    {
        private final TTransport base;

        BoundedSaslServerTransport(TTransport base)
                throws TTransportException
        {
            super("GSSAPI", service.serviceName(), service.hostName(), saslProperties, new SameUser(), base);
            this.base = base;
        }

        @Override
        protected SaslResponse receiveSaslMessage()
                throws TTransportException
        {
            byte[] header = new byte[STATUS_BYTES + PAYLOAD_LENGTH_BYTES];
            underlyingTransport.readAll(header, 0, header.length);
            NegotiationStatus status = null;
            for (NegotiationStatus candidate : NegotiationStatus.values()) {
                if (candidate.getValue() == header[0]) {
                    status = candidate;
                }
            }
            if (status == null) {
                throw sendAndThrowMessage(NegotiationStatus.ERROR, "not a SASL client: invalid SASL status byte " + header[0]
                        + " (a client without metastore.sasl.enabled, or not a Thrift SASL client)");
            }
            int length = org.apache.thrift.EncodingUtils.decodeBigEndian(header, STATUS_BYTES);
            if (length < 0 || length > MAX_HANDSHAKE_BYTES) {
                throw sendAndThrowMessage(NegotiationStatus.ERROR, "a SASL handshake message of %s bytes is over the limit of %s".formatted(length, MAX_HANDSHAKE_BYTES));
            }
            byte[] payload = new byte[length];
            underlyingTransport.readAll(payload, 0, length);
            if (status == NegotiationStatus.BAD || status == NegotiationStatus.ERROR) {
                throw new TTransportException("the client gave up: " + new String(payload, StandardCharsets.UTF_8));
            }
            return new SaslResponse(status, payload);
        }

        @Override
        protected int readLength()
                throws TTransportException
        {
            int length = super.readLength();
            if (length > maxFrameBytes) {
                throw new TTransportException(TTransportException.CORRUPTED_DATA,
                        "a SASL frame of %s bytes is over thrift.max-message-size (%s)".formatted(length, maxFrameBytes));
            }
            return length;
        }

        /**
         * The JDK's GSSAPI server, whose failures end the handshake here: the client is told (a BAD message, as
         * libthrift does), and the connection is refused with one line in the log, not the error and stack trace
         * libthrift logs for every client that fails to authenticate.
         */
        @Override
        protected void setSaslServer(SaslServer server)
        {
            super.setSaslServer(new Delegating(server));
        }

        @Override
        public void close()
        {
            open.remove(base);
            super.close();
        }

        private final class Delegating
                implements SaslServer
        {
            private final SaslServer server;

            Delegating(SaslServer server)
            {
                this.server = server;
            }

            @Override
            public byte[] evaluateResponse(byte[] response)
            {
                try {
                    return server.evaluateResponse(response);
                }
                catch (SaslException e) {
                    String reason = e.getCause() != null && e.getCause().getMessage() != null ? e.getMessage() + ": " + e.getCause().getMessage() : e.getMessage();
                    try {
                        sendSaslMessage(NegotiationStatus.BAD, String.valueOf(reason).getBytes(StandardCharsets.UTF_8));
                    }
                    catch (TTransportException ignored) {
                        // The client is gone; it is refused all the same.
                    }
                    throw new RefusedHandshake(reason);
                }
            }

            @Override
            public String getMechanismName()
            {
                return server.getMechanismName();
            }

            @Override
            public boolean isComplete()
            {
                return server.isComplete();
            }

            @Override
            public String getAuthorizationID()
            {
                return server.getAuthorizationID();
            }

            @Override
            public byte[] unwrap(byte[] incoming, int offset, int len)
                    throws SaslException
            {
                return server.unwrap(incoming, offset, len);
            }

            @Override
            public byte[] wrap(byte[] outgoing, int offset, int len)
                    throws SaslException
            {
                return server.wrap(outgoing, offset, len);
            }

            @Override
            public Object getNegotiatedProperty(String propName)
            {
                return server.getNegotiatedProperty(propName);
            }

            @Override
            public void dispose()
                    throws SaslException
            {
                server.dispose();
            }
        }
    }

    /** A handshake the service's GSSAPI server refused (a token it cannot accept, no common protection). */
    private static final class RefusedHandshake
            extends RuntimeException
    {
        RefusedHandshake(String message)
        {
            super(message, null, false, false);
        }
    }
}
