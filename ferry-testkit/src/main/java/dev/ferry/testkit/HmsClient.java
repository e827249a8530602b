package dev.ferry.testkit;

import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.apache.thrift.protocol.TBinaryProtocol;
import org.apache.thrift.transport.TSocket;
import org.apache.thrift.transport.TTransport;
import org.apache.thrift.transport.TTransportException;

import static java.util.Objects.requireNonNull;

/**
 * One Thrift connection to a metastore, spoken as HMS clients speak by default: binary protocol, unframed. Not
 * thread-safe, like the connection of a real client.
 */
public final class HmsClient
        implements AutoCloseable
{
    private final TTransport transport;
    private final ThriftHiveMetastore.Client api;

    private HmsClient(TTransport transport)
    {
        this.transport = requireNonNull(transport, "transport is null");
        this.api = new ThriftHiveMetastore.Client(new TBinaryProtocol(transport));
    }

    public static HmsClient connect(String host, int port)
    {
        try {
            TSocket socket = new TSocket(host, port, 60_000);
            socket.open();
            return new HmsClient(socket);
        }
        catch (TTransportException e) {
            throw new IllegalStateException("cannot connect to the metastore at %s:%s: %s".formatted(host, port, e.getMessage()), e);
        }
    }

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
