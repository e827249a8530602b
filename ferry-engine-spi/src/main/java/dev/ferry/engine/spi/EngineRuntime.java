package dev.ferry.engine.spi;

import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;

/**
 * A running metastore engine bound to one database, implemented inside the engine's own classloader. Calls to
 * {@link #handler()} must run with that classloader as the thread's context classloader.
 */
public interface EngineRuntime
        extends AutoCloseable
{
    /** The HMS handler; errors reach the caller as the HMS exceptions they are. */
    ThriftHiveMetastore.Iface handler();

    /** The schema version of the bound database, as its {@code VERSION} table says. */
    String databaseSchemaVersion();

    /**
     * Drops what the metastore keeps per thread (its RawStore, TxnStore, configuration overrides) for the
     * calling thread, closing what it holds. Called before a thread that served this engine serves another.
     */
    void releaseThreadState();

    /** Stops the engine: its pools, threads, JDBC drivers and JVM hooks are released. Idempotent. */
    @Override
    void close();
}
