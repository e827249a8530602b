package dev.ferry.testkit;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A source database server a migration copies from: the stand-in for a customer's self-managed Hive Metastore
 * database, MariaDB ({@link EmbeddedMariaDb}) or MySQL ({@link EmbeddedMySql}), in a child process on a free port.
 * {@link #user()} logs in over TCP with every privilege.
 */
public interface SourceServer
        extends AutoCloseable
{
    /** What runs, for test names and logs, such as {@code MySQL 8.0.15 (GTID on)}. */
    String description();

    int port();

    /** An account with every privilege that logs in over TCP from this host. */
    String user();

    String password();

    /** Creates an empty database with Hive's MySQL character set and collation ({@code latin1_bin}); its JDBC URL. */
    String createDatabase(String name);

    /** A JDBC URL of the MariaDB driver for a database of this server (any account's password works over it). */
    String jdbcUrl(String database);

    /** A connection as {@link #user()}. */
    Connection connect(String database)
            throws SQLException;

    @Override
    void close();
}
