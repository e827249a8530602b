package dev.ferry.control.store;

import java.sql.Connection;
import java.sql.SQLException;

import static java.util.Objects.requireNonNull;

/**
 * A session of the control store held by one caller that writes often and must not wait for a session to open (tens of
 * ms on a busy host) each time: a replica's confirmations under a switch's hold, a switch's polls, the runner's
 * published progress. Taken from the store's kept sessions on first use (or opened), given back to them when closed;
 * after a failure it is closed, and the next use takes another. Not thread-safe: one caller's.
 */
public final class ControlSession
        implements AutoCloseable
{
    private final ControlStore store;
    private Connection connection;

    public ControlSession(ControlStore store)
    {
        this.store = requireNonNull(store, "store is null");
    }

    /** Runs {@code work} in a transaction of this session, committed after it. */
    public <T> T inTransaction(ControlStore.Work<T> work)
    {
        try {
            if (connection == null) {
                connection = store.borrow();
            }
            try {
                T result = work.run(connection);
                connection.commit();
                return result;
            }
            catch (SQLException | RuntimeException e) {
                ControlStore.closeQuietly(connection);
                connection = null;
                throw e;
            }
        }
        catch (SQLException e) {
            throw new ControlStoreException("control store: " + e.getMessage(), e);
        }
    }

    /** Gives the session back to the store's kept sessions (it is between transactions). */
    @Override
    public void close()
    {
        if (connection != null) {
            store.giveBack(connection);
            connection = null;
        }
    }
}
