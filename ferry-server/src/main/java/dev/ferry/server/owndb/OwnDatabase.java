package dev.ferry.server.owndb;

/**
 * Ferry's own metastore database: the embedded PostgreSQL under the data directory, or an external PostgreSQL.
 * Passwords never appear in {@link #toString()} or {@link #describe()}.
 */
public interface OwnDatabase
        extends AutoCloseable
{
    String jdbcUrl();

    String user();

    String password();

    /** For logs: what and where, without secrets. */
    String describe();

    @Override
    void close();
}
