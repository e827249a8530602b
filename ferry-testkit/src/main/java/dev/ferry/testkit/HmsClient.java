package dev.ferry.testkit;

import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.protocol.TCompactProtocol;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.TTransportException;
import org.apache.thrift.transport.layered.TFramedTransport;

import static java.util.Objects.requireNonNull;

/**
 * One Thrift connection to a metastore; by default spoken as HMS clients speak it, binary and unframed. Not
 * thread-safe, like the connection of a real client.
 */
public final class HmsClient
        implements HmsConnection
{
    private final TTransport transport;
    private final ThriftHiveMetastore.Client api;

    private HmsClient(TTransport transport, Protocol protocol)
    {
        this.transport = requireNonNull(transport, "transport is null");
        this.api = new ThriftHiveMetastore.Client(switch (protocol) {
            case BINARY -> new TBinaryProtocol(transport);
            case COMPACT -> new TCompactProtocol(transport);
        });
    }

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

    /** A connection as HMS clients make it by default: binary protocol, unframed. */
    public static HmsClient connect(String host, int port)
    {
        return connect(host, port, Transport.UNFRAMED, Protocol.BINARY);
    }

    public static HmsClient connect(String host, int port, Transport transport, Protocol protocol)
    {
        try {
            TTransport socket = new TSocket(host, port, 60_000);
            if (transport == Transport.FRAMED) {
                socket = new TFramedTransport(socket);
            }
            socket.open();
            return new HmsClient(socket, protocol);
        }
        catch (TTransportException e) {
            throw new IllegalStateException("cannot connect to the metastore at %s:%s: %s".formatted(host, port, e.getMessage()), e);
        }
    }

    @Override
    public ThriftHiveMetastore.Iface api()
    {
        return api;
    }

    @Override
    public void close()
    {
        transport.close();
    }
}
