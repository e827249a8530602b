package dev.ferry.upgrade;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

import static java.util.Objects.requireNonNull;

/** The own PostgreSQL database whose metastore is upgraded: where it is and how to log in. */
public record PostgresDatabase(String jdbcUrl, String user, String password)
{
    public PostgresDatabase
    {
        requireNonNull(jdbcUrl, "jdbcUrl is null");
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
    }

    /** A connection outside autocommit, with the database's default search path. */
    Connection connect()
            throws SQLException
    {
        Connection connection = DriverManager.getConnection(jdbcUrl, user, password);
        connection.setAutoCommit(false);
        return connection;
    }

    /** The URL of the same database with this search path ({@code currentSchema}), for Hive's schema tool and engines. */
    public String jdbcUrlWithSearchPath(String searchPath)
    {
        return jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "currentSchema=" + searchPath;
    }

    @Override
    public String toString()
    {
        return "PostgresDatabase[%s, user=%s]".formatted(jdbcUrl, user);
    }
}
