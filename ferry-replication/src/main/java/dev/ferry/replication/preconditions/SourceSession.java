package dev.ferry.replication.preconditions;

import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.source.SourceConnections;
import dev.ferry.replication.source.SourceDialect;
import dev.ferry.replication.source.SourcePosition;

import static dev.ferry.replication.ReplicationException.Reason.INTERNAL;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_ACCESS_DENIED;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_UNREACHABLE;
import static java.util.Objects.requireNonNull;

/**
 * A connection to the source server as one account, not bound to the metastore database (so that a user without
 * privileges on it still logs in, and a missing privilege is reported as such rather than as a failed login).
 * Turns driver errors into replication errors that name the server and the account, never the password.
 */
final class SourceSession
        implements AutoCloseable
{
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(60);

    // Server errors that mean the credentials or the account are refused: access denied (1045), host not allowed
    // (1130), a socket-authenticated user over TCP (1698), password expired (1862), account locked (MariaDB 4151,
    // MySQL 3118), an authentication plugin the driver lacks (1251).
    private static final Set<Integer> ACCESS_DENIED_ERRORS = Set.of(1045, 1130, 1698, 1862, 4151, 3118, 1251);

    private final SourceDatabase source;
    private final SourceAccount account;
    private final Connection connection;

    private SourceSession(SourceDatabase source, SourceAccount account, Connection connection)
    {
        this.source = requireNonNull(source, "source is null");
        this.account = requireNonNull(account, "account is null");
        this.connection = requireNonNull(connection, "connection is null");
    }

    static SourceSession open(SourceDatabase source, SourceAccount account)
    {
        Properties properties = new Properties();
        properties.setProperty("connectTimeout", String.valueOf(CONNECT_TIMEOUT.toMillis()));
        properties.setProperty("socketTimeout", String.valueOf(STATEMENT_TIMEOUT.toMillis()));
        try {
            return new SourceSession(source, account, SourceConnections.open(source, "", account.user(), account.password(), properties));
        }
        catch (SQLException e) {
            if (ACCESS_DENIED_ERRORS.contains(e.getErrorCode())) {
                throw new ReplicationException(SOURCE_ACCESS_DENIED,
                        "the source database at %s refused the %s: %s; check the %s's name and password, and that it may log in from Ferry's host"
                                .formatted(address(source), account.describe(), serverMessage(e), account.role().label()));
            }
            throw new ReplicationException(SOURCE_UNREACHABLE,
                    "cannot reach the source database at %s as the %s: %s; check the host and port, that the server is running, and that it accepts TCP connections from Ferry's host"
                            .formatted(address(source), account.describe(), connectFailure(e)));
        }
    }

    static String address(SourceDatabase source)
    {
        return SourceConnections.address(source);
    }

    /** The dialect of the server this session is connected to. */
    SourceDialect dialect()
    {
        try {
            return SourceDialect.detect(connection);
        }
        catch (SQLException e) {
            throw failed("SELECT VERSION(), @@GLOBAL.gtid_mode", e);
        }
    }

    SourceAccount account()
    {
        return account;
    }

    String address()
    {
        return address(source);
    }

    /** The source's binlog position now, as the dialect reads it. */
    SourcePosition position(SourceDialect dialect)
    {
        try {
            return dialect.currentPosition(connection);
        }
        catch (SQLException e) {
            throw failed("the binlog position", e);
        }
    }

    /** Every row of a query, each column as a string; the parameters bind to its {@code ?} in order. */
    List<List<String>> rows(String sql, String... parameters)
    {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int index = 0; index < parameters.length; index++) {
                statement.setString(index + 1, parameters[index]);
            }
            try (ResultSet result = statement.executeQuery()) {
                int columns = result.getMetaData().getColumnCount();
                List<List<String>> rows = new ArrayList<>();
                while (result.next()) {
                    List<String> row = new ArrayList<>(columns);
                    for (int column = 1; column <= columns; column++) {
                        row.add(result.getString(column));
                    }
                    rows.add(row);
                }
                return rows;
            }
        }
        catch (SQLException e) {
            throw failed(sql, e);
        }
    }

    /** Runs a statement to see whether the server allows it; the error if it does not. */
    Optional<SQLException> attempt(String sql)
    {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
            return Optional.empty();
        }
        catch (SQLException e) {
            if (isConnectionLost(e)) {
                throw failed(sql, e);
            }
            return Optional.of(e);
        }
    }

    /** An error for a statement that should have worked, naming the statement, the server and the account. */
    ReplicationException failed(String sql, SQLException e)
    {
        if (isConnectionLost(e)) {
            return new ReplicationException(SOURCE_UNREACHABLE, "lost the connection to the source database at %s as the %s: %s"
                    .formatted(address(), account.describe(), serverMessage(e)));
        }
        return new ReplicationException(INTERNAL, "%s failed on the source database at %s as the %s: %s"
                .formatted(sql.length() > 80 ? sql.substring(0, 80) + "..." : sql, address(), account.describe(), serverMessage(e)));
    }

    private static boolean isConnectionLost(SQLException e)
    {
        return e.getSQLState() != null && e.getSQLState().startsWith("08");
    }

    /** The server's own words, without the driver's connection number prefix. */
    static String serverMessage(SQLException e)
    {
        String message = String.valueOf(e.getMessage());
        return message.replaceFirst("^\\(conn=\\d+\\) ", "");
    }

    private static String connectFailure(SQLException e)
    {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        if (cause instanceof UnknownHostException) {
            return "unknown host " + cause.getMessage();
        }
        if (cause instanceof SocketTimeoutException) {
            return "no answer within " + CONNECT_TIMEOUT.toSeconds() + " s";
        }
        if (cause != e && cause.getMessage() != null) {
            return cause.getMessage();
        }
        return serverMessage(e);
    }

    @Override
    public void close()
    {
        try {
            connection.close();
        }
        catch (SQLException ignored) {
            // Nothing was written on this connection; a failed close loses nothing.
        }
    }
}
