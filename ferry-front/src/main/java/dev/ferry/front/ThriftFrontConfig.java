package dev.ferry.front;

import java.time.Duration;
import java.util.Optional;

import dev.ferry.front.kerberos.KerberosService;
import dev.ferry.front.tls.TlsMaterial;

import static java.util.Objects.requireNonNull;

/**
 * How the Thrift front listens.
 *
 * @param host the address to bind
 * @param port the port; 0 picks a free one
 * @param transport UNFRAMED (what HMS clients use by default) or FRAMED
 * @param protocol BINARY (what HMS clients use by default) or COMPACT
 * @param maxConnections connections served at once, one thread each; one more is answered with an error and closed
 * @param maxMessageBytes the largest frame accepted with the framed transport, and the longest string, binary or
 *     container a request may declare with either transport (checked before anything is allocated for it)
 * @param clientTimeout how long a connection may stay silent, in the middle of a request or between two, before it
 *     is closed (its thread then ends)
 * @param tls with it, the port speaks TLS only (as HMS does with {@code metastore.use.SSL}), with client certificates
 *     required when it has a client CA
 * @param kerberos with it, every client authenticates with Kerberos (SASL GSSAPI, as with an HMS that has
 *     {@code metastore.sasl.enabled}) and each call runs as its user; over TLS when both are set, as HMS does with both
 */
public record ThriftFrontConfig(String host, int port, Transport transport, Protocol protocol, int maxConnections, int maxMessageBytes, Duration clientTimeout,
        Optional<TlsMaterial> tls, Optional<KerberosService> kerberos)
{
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
    public static final Duration DEFAULT_CLIENT_TIMEOUT = Duration.ofMinutes(10);

    public enum Transport
    {
        UNFRAMED,
        FRAMED,
    }

    public enum Protocol
    {
        BINARY,
        COMPACT,
    }

    public ThriftFrontConfig
    {
        requireNonNull(host, "host is null");
        requireNonNull(transport, "transport is null");
        requireNonNull(protocol, "protocol is null");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1: " + maxConnections);
        }
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException("maxMessageBytes must be at least 1024: " + maxMessageBytes);
        }
        requireNonNull(clientTimeout, "clientTimeout is null");
        if (clientTimeout.toMillis() < 1 || clientTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("clientTimeout must be from 1 ms to 24 days: " + clientTimeout);
        }
        requireNonNull(tls, "tls is null");
        requireNonNull(kerberos, "kerberos is null");
        if (kerberos.isPresent() && transport == Transport.FRAMED) {
            // HMS refuses the same: its SASL transport has frames of its own, and HMS clients with SASL do not frame.
            throw new IllegalArgumentException("Kerberos (SASL) needs the unframed transport: SASL frames every message itself");
        }
    }

    /** Without Kerberos. */
    public ThriftFrontConfig(String host, int port, Transport transport, Protocol protocol, int maxConnections, int maxMessageBytes, Duration clientTimeout,
            Optional<TlsMaterial> tls)
    {
        this(host, port, transport, protocol, maxConnections, maxMessageBytes, clientTimeout, tls, Optional.empty());
    }

    /** Without TLS. */
    public ThriftFrontConfig(String host, int port, Transport transport, Protocol protocol, int maxConnections, int maxMessageBytes, Duration clientTimeout)
    {
        this(host, port, transport, protocol, maxConnections, maxMessageBytes, clientTimeout, Optional.empty());
    }

    /** With the default client timeout. */
    public ThriftFrontConfig(String host, int port, Transport transport, Protocol protocol, int maxConnections, int maxMessageBytes)
    {
        this(host, port, transport, protocol, maxConnections, maxMessageBytes, DEFAULT_CLIENT_TIMEOUT);
    }

    public static ThriftFrontConfig defaults()
    {
        return new ThriftFrontConfig("0.0.0.0", 9083, Transport.UNFRAMED, Protocol.BINARY, 1000, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_CLIENT_TIMEOUT, Optional.empty(), Optional.empty());
    }

    public ThriftFrontConfig withHost(String newHost)
    {
        return new ThriftFrontConfig(newHost, port, transport, protocol, maxConnections, maxMessageBytes, clientTimeout, tls, kerberos);
    }

    public ThriftFrontConfig withLimits(int newMaxConnections, int newMaxMessageBytes, Duration newClientTimeout)
    {
        return new ThriftFrontConfig(host, port, transport, protocol, newMaxConnections, newMaxMessageBytes, newClientTimeout, tls, kerberos);
    }

    public ThriftFrontConfig withPort(int newPort)
    {
        return new ThriftFrontConfig(host, newPort, transport, protocol, maxConnections, maxMessageBytes, clientTimeout, tls, kerberos);
    }

    public ThriftFrontConfig withTls(Optional<TlsMaterial> newTls)
    {
        return new ThriftFrontConfig(host, port, transport, protocol, maxConnections, maxMessageBytes, clientTimeout, newTls, kerberos);
    }

    public ThriftFrontConfig withKerberos(Optional<KerberosService> newKerberos)
    {
        return new ThriftFrontConfig(host, port, transport, protocol, maxConnections, maxMessageBytes, clientTimeout, tls, newKerberos);
    }
}
