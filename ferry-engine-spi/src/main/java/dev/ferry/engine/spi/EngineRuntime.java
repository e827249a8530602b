package dev.ferry.engine.spi;

import java.security.PrivilegedExceptionAction;
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

    /** An engine's {@code UserGroupInformation.doAs} of one user, which the engine's own Hadoop classes provide. */
    interface DoAs
    {
        void run(PrivilegedExceptionAction<Void> action)
                throws Exception;
    }

    /**
     * {@link #callAs} for an engine's {@code doAs}: what the call throws is kept aside and thrown after {@code doAs},
     * which would otherwise wrap a checked exception (an HMS MetaException) in an undeclared one.
     */
    static <T> T callInside(DoAs doAs, Callable<T> call)
            throws Exception
    {
        Object[] outcome = new Object[2];
        doAs.run(() -> {
            try {
                outcome[0] = call.call();
            }
            catch (Exception e) {
                outcome[1] = e;
            }
            return null;
        });
        if (outcome[1] != null) {
            throw (Exception) outcome[1];
        }
        @SuppressWarnings("unchecked")
        T result = (T) outcome[0];
        return result;
    }

    /**
     * Drops the blocks of ids the engine's object store took from its database's id generators (DataNucleus's
     * {@code SEQUENCE_TABLE} increments) and its object cache, so that its next insert takes a new block from the
     * database it is bound to then. Returns false when this engine cannot; such an engine must not serve a database
     * other than the one it wrote.
     */
    default boolean discardIdBlocks()
    {
        return false;
    }

    /** Stops the engine: its pools, threads, JDBC drivers and JVM hooks are released. Idempotent. */
    @Override
    void close();
}
