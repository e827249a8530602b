package dev.ferry.testkit;

import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;

/** A metastore API a workload client talks to: a Thrift connection, or an engine called in-process. */
public interface HmsConnection
        extends AutoCloseable
{
    ThriftHiveMetastore.Iface api();

    @Override
    void close();

    /** An in-process API, such as an engine's; closing it does nothing. */
    static HmsConnection of(ThriftHiveMetastore.Iface api)
    {
        return new HmsConnection()
        {
            @Override
            public ThriftHiveMetastore.Iface api()
            {
                return api;
            }

            @Override
            public void close() {}
        };
    }
}
