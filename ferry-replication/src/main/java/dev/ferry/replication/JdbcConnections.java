package dev.ferry.replication;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

import dev.ferry.replication.source.SourceConnections;

import static dev.ferry.replication.ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_ACCESS_DENIED;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_UNREACHABLE;

/**
 * Opens JDBC connections to the source and the own database as the reading user, turning a failure into a
 * {@link ReplicationException} whose message names the database and the user, never the password.
 */
public final class JdbcConnections
{
    private JdbcConnections() {}

    /** A connection to the source as its reading user, with the session in UTC so timestamps read as stored. */
    public static Connection source(SourceDatabase source)
    {
        try {
            Connection connection = SourceConnections.open(source, source.database(), source.user(), source.password());
            try (var statement = connection.createStatement()) {
                statement.execute("SET time_zone = '+00:00'");
            }
            return connection;
        }
        catch (SQLException e) {
            boolean denied = "28000".equals(e.getSQLState()) || e.getErrorCode() == 1045;
            throw new ReplicationException(denied ? SOURCE_ACCESS_DENIED : SOURCE_UNREACHABLE,
                    "cannot connect to the source database %s:%s/%s as %s: %s".formatted(source.host(), source.port(), source.database(), source.user(), e.getMessage()), e);
        }
    }

    /** A connection to the source server (no database) as its CDC user, for binlog positions. */
    public static Connection sourceCdc(SourceDatabase source)
    {
        try {
            return SourceConnections.open(source, "", source.cdcUser(), source.cdcPassword());
        }
        catch (SQLException e) {
            boolean denied = "28000".equals(e.getSQLState()) || e.getErrorCode() == 1045;
            throw new ReplicationException(denied ? SOURCE_ACCESS_DENIED : SOURCE_UNREACHABLE,
                    "cannot connect to the source database %s:%s as the CDC user %s: %s".formatted(source.host(), source.port(), source.cdcUser(), e.getMessage()), e);
        }
    }

    public static Connection own(OwnDatabaseTarget own)
    {
        try {
            return DriverManager.getConnection(own.jdbcUrl(), own.connectionProperties());
        }
        catch (SQLException e) {
            throw new ReplicationException(OWN_DATABASE_UNAVAILABLE,
                    "cannot connect to the own database %s as %s: %s".formatted(own.jdbcUrl(), own.user(), e.getMessage()), e);
        }
    }
}
