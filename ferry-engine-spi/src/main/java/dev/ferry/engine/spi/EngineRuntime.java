package dev.ferry.engine.spi;

/**
 * A running metastore engine bound to one database, implemented inside the engine's own classloader. Only JDK
 * types cross this interface; how Ferry calls the metastore depends on whether the engine shares Ferry's HMS Thrift
 * API classes ({@link DirectEngineRuntime}) or carries its own ({@link MessageEngineRuntime}).
 */
public interface EngineRuntime
        extends AutoCloseable
{
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
