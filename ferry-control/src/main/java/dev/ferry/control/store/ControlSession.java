package dev.ferry.control.store;

import java.sql.Connection;
import java.sql.SQLException;

import static java.util.Objects.requireNonNull;

/**
 * A session of the control store kept open for a caller that writes often and must not wait for a new connection's
 * start (tens of ms) each time: a replica's confirmations under a switch's hold, a switch's polls, the runner's
 * published progress. Opened on first use, opened again after a failure. Not thread-safe: one caller's.
 */
public final class ControlSession
        implements AutoCloseable
{
    private final ControlStore store;
    private final String applicationName;
    private Connection connection;

    public ControlSession(ControlStore store, String applicationName)
    {
        this.store = requireNonNull(store, "store is null");
        this.applicationName = requireNonNull(applicationName, "applicationName is null");
    }

    /** Runs {@code work} in a transaction of this session, committed after it. */
    public <T> T inTransaction(ControlStore.Work<T> work)
    {
        try {
            if (connection == null) {
                connection = store.dedicatedConnection(applicationName);
            }
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            }
            catch (SQLException | RuntimeException e) {
                close();
                throw e;
            }
        }
        catch (SQLException e) {
            throw new ControlStoreException("control store: " + e.getMessage(), e);
        }
    }

    @Override
    public void close()
    {
        if (connection != null) {
            try {
                connection.close();
            }
            catch (SQLException ignored) {
                // Broken already.
            }
            connection = null;
        }
    }
}
