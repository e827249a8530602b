package dev.ferry.engine.spi;

import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;

/**
 * An engine built against the HMS Thrift API that Ferry itself uses (Hive 4.0.1), whose classloader shares those
 * classes with Ferry: its handler is called directly, with the structs the front decoded. Calls to
 * {@link #handler()} must run with the engine's classloader as the thread's context classloader.
 */
public interface DirectEngineRuntime
        extends EngineRuntime
{
    /** The HMS handler; errors reach the caller as the HMS exceptions they are. */
    ThriftHiveMetastore.Iface handler();
}
