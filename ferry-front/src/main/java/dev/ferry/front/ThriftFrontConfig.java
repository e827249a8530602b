package dev.ferry.front;

import static java.util.Objects.requireNonNull;

/**
 * How the Thrift front listens.
 *
 * @param host the address to bind
 * @param port the port; 0 picks a free one
 * @param transport UNFRAMED (what HMS clients use by default) or FRAMED
 * @param protocol BINARY (what HMS clients use by default) or COMPACT
 * @param maxConnections connections served at once, one thread each
 * @param maxMessageBytes the largest frame accepted with the framed transport
 */
public record ThriftFrontConfig(String host, int port, Transport transport, Protocol protocol, int maxConnections, int maxMessageBytes)
{
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
    }

    public static ThriftFrontConfig defaults()
    {
        return new ThriftFrontConfig("0.0.0.0", 9083, Transport.UNFRAMED, Protocol.BINARY, 1000, 100 * 1024 * 1024);
    }

    public ThriftFrontConfig withHost(String newHost)
    {
        return new ThriftFrontConfig(newHost, port, transport, protocol, maxConnections, maxMessageBytes);
    }

    public ThriftFrontConfig withPort(int newPort)
    {
        return new ThriftFrontConfig(host, newPort, transport, protocol, maxConnections, maxMessageBytes);
    }
}
