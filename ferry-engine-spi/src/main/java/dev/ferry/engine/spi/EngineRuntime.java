package dev.ferry.engine.spi;

import java.util.concurrent.Callable;

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

    /**
     * Runs {@code call} as the given user, with the engine's own Hadoop {@code UserGroupInformation}
     * ({@code createRemoteUser(user).doAs}), as HMS runs each call of a client that authenticated with SASL: the
     * metastore then sees that user as the caller (the owner of a database created without one, the user
     * authorization checks). Returns what the call returns and throws what it throws, unwrapped.
     */
    <T> T callAs(String user, Callable<T> call)
            throws Exception;

    /** Stops the engine: its pools, threads, JDBC drivers and JVM hooks are released. Idempotent. */
    @Override
    void close();
}
