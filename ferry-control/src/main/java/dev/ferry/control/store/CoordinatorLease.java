package dev.ferry.control.store;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;

import dev.ferry.replication.WriteFence;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * The replication lease of the replicas that share one control store (issue 16): which of them may run replication,
 * and the epoch that fences one that lost it. One row, {@code coordinator_lease}; every time is the database's.
 *
 * <p>A replica takes the lease when it is free, expired, or held by a replica with no session left in the database
 * (it was killed: every session of a replica names itself {@code ferry/<holder id>/...} in {@code pg_stat_activity}).
 * Each take moves the epoch up by one. Replication then checks its epoch in each of its own-database transactions
 * before it commits ({@link #fence}), and holds the lease row {@code FOR KEY SHARE} until that commit; a take waits
 * for those locks ({@code FOR UPDATE}), after ending the old holder's sessions. So a holder that was paused or cut
 * off and comes back commits nothing once another replica took over: its transactions either ended before the take,
 * or find the epoch moved and roll back ({@code FENCED}). Renewing only moves the expiry, an update that does not
 * wait for those locks.
 *
 * <p>The lease keeps one session open while it lives: the one by which the others see this replica is alive. A
 * holder id names one process: a restarted process takes a new one, so that it fences its former self.
 */
public final class CoordinatorLease
        implements AutoCloseable
{
    private static final Logger log = LoggerFactory.getLogger(CoordinatorLease.class);
    /** Fits {@code ferry/<id>/replication} into PostgreSQL's 63 bytes of application name, in characters it keeps. */
    private static final Pattern HOLDER_ID = Pattern.compile("[A-Za-z0-9._-]{1,40}");
    private static final Pattern PART = Pattern.compile("[a-z]{1,12}");
    /** How long a take waits for transactions that passed the old holder's fence to end. */
    private static final String TAKE_LOCK_TIMEOUT = "5s";
    private static final String TABLE = ControlStore.SCHEMA + ".coordinator_lease";

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final String holderId;
    private final Duration ttl;
    /** Guarded by this. */
    private Connection session;

    /**
     * Who holds the lease, as the database sees it now.
     *
     * @param expired whether {@code expireTime} has passed by the database's clock
     */
    public record Holder(String holder, long epoch, Instant acquireTime, Instant expireTime, boolean expired)
    {
        public Holder
        {
            requireNonNull(holder, "holder is null");
            requireNonNull(acquireTime, "acquireTime is null");
            requireNonNull(expireTime, "expireTime is null");
        }
    }

    /**
     * @param holderId this process's replica id: 1 to 40 letters, digits, '.', '_' or '-'
     * @param ttl how long the lease holds after a take or a renewal
     */
    public CoordinatorLease(String jdbcUrl, String user, String password, String holderId, Duration ttl)
    {
        this.jdbcUrl = requireNonNull(jdbcUrl, "jdbcUrl is null");
        this.user = requireNonNull(user, "user is null");
        this.password = requireNonNull(password, "password is null");
        this.holderId = requireNonNull(holderId, "holderId is null");
        this.ttl = requireNonNull(ttl, "ttl is null");
        if (!HOLDER_ID.matcher(holderId).matches()) {
            throw new IllegalArgumentException("a replica id must be 1 to 40 letters, digits, '.', '_' or '-': '%s'".formatted(holderId));
        }
        if (ttl.toMillis() < 1) {
            throw new IllegalArgumentException("the lease's ttl must be at least 1 ms: " + ttl);
        }
    }

    public String holderId()
    {
        return holderId;
    }

    /**
     * What this replica's sessions of {@code part} ({@code lease}, {@code replication}) call themselves in
     * {@code pg_stat_activity}: {@code ferry/<holder id>/<part>}. A replica that takes the lease ends every session
     * of the old holder by this name.
     */
    public String applicationName(String part)
    {
        if (!PART.matcher(part).matches()) {
            throw new IllegalArgumentException("a session's part must be 1 to 12 lower case letters: '%s'".formatted(part));
        }
        return prefix(holderId) + part;
    }

    /**
     * Takes the lease if it is free, expired, or its holder has no session left; renews it if this replica holds it.
     *
     * @return the epoch this replica holds the lease with; empty when another replica holds it
     * @throws ControlStoreException when the database cannot be reached, or the transactions that passed the old
     *     holder's fence did not end within {@value #TAKE_LOCK_TIMEOUT}
     */
    public synchronized Optional<Long> tryAcquire()
    {
        return inTransaction(connection -> {
            Row seen = row(connection, "");
            if (seen.holder().equals(Optional.of(holderId))) {
                renew(connection, seen.epoch());
                return Optional.of(seen.epoch());
            }
            if (seen.holder().isPresent() && !seen.expired() && sessions(connection, seen.holder().get()) > 0) {
                return Optional.empty();
            }
            int ended = seen.holder().isPresent() ? endSessions(connection, seen.holder().get()) : 0;
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET LOCAL lock_timeout = '%s'".formatted(TAKE_LOCK_TIMEOUT));
            }
            // Waits for every transaction that holds the row FOR KEY SHARE: those the old holder's fence let through.
            Row locked = row(connection, " FOR UPDATE");
            if (!locked.holder().equals(seen.holder()) || locked.epoch() != seen.epoch()) {
                // Another replica took or released it meanwhile: looked at again on the next try.
                return Optional.empty();
            }
            long epoch;
            try (PreparedStatement update = connection.prepareStatement(("UPDATE %s SET holder = ?, epoch = epoch + 1, acquire_time = clock_timestamp(), "
                    + "expire_time = clock_timestamp() + ? * interval '1 millisecond' WHERE id = 1 RETURNING epoch").formatted(TABLE))) {
                update.setString(1, holderId);
                update.setLong(2, ttl.toMillis());
                try (ResultSet rows = update.executeQuery()) {
                    rows.next();
                    epoch = rows.getLong(1);
                }
            }
            log.info("Replication lease taken by {} with epoch {} (it was {}, epoch {}{}; {} of its sessions ended)", holderId, epoch,
                    seen.holder().orElse("free"), seen.epoch(), seen.holder().isPresent() && seen.expired() ? ", expired" : "", ended);
            return Optional.of(epoch);
        });
    }

    /** Extends the lease by the ttl from now; false when this replica no longer holds it with {@code epoch}. */
    public synchronized boolean renew(long epoch)
    {
        return inTransaction(connection -> renew(connection, epoch));
    }

    /** Gives the lease up, if this replica still holds it with {@code epoch}: another replica may take it at once. */
    public synchronized void release(long epoch)
    {
        boolean released = inTransaction(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE %s SET holder = NULL, expire_time = clock_timestamp() WHERE id = 1 AND holder = ? AND epoch = ?".formatted(TABLE))) {
                update.setString(1, holderId);
                update.setLong(2, epoch);
                return update.executeUpdate() == 1;
            }
        });
        if (released) {
            log.info("Replication lease released by {} (epoch {})", holderId, epoch);
        }
    }

    /** Who holds the lease; empty when nobody does. */
    public synchronized Optional<Holder> holder()
    {
        return inTransaction(connection -> {
            try (Statement statement = connection.createStatement();
                    ResultSet rows = statement.executeQuery(
                            "SELECT holder, epoch, acquire_time, expire_time, expire_time < clock_timestamp() FROM %s WHERE id = 1".formatted(TABLE))) {
                if (!rows.next() || rows.getString(1) == null) {
                    return Optional.empty();
                }
                return Optional.of(new Holder(rows.getString(1), rows.getLong(2), rows.getTimestamp(3).toInstant(), rows.getTimestamp(4).toInstant(), rows.getBoolean(5)));
            }
        });
    }

    /**
     * The write fence of replication run under the lease with {@code epoch}: in replication's transaction, it locks
     * the lease row {@code FOR KEY SHARE} if the epoch is still {@code epoch}, and fails with {@code FENCED} if not.
     * Schema-qualified: replication's connections have their own search path.
     */
    public WriteFence fence(long epoch)
    {
        return WriteFence.of(new WriteFence.Query("SELECT 1 FROM %s WHERE id = 1 AND epoch = ? FOR KEY SHARE".formatted(TABLE), List.of(epoch),
                "this replica (%s) lost the replication lease (epoch %s); another replica runs the migration now".formatted(holderId, epoch)));
    }

    /** Closes this replica's lease session; a replica that holds the lease releases it first if it stops cleanly. */
    @Override
    public synchronized void close()
    {
        closeSession();
    }

    private boolean renew(Connection connection, long epoch)
            throws SQLException
    {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE %s SET expire_time = clock_timestamp() + ? * interval '1 millisecond' WHERE id = 1 AND holder = ? AND epoch = ?".formatted(TABLE))) {
            update.setLong(1, ttl.toMillis());
            update.setString(2, holderId);
            update.setLong(3, epoch);
            return update.executeUpdate() == 1;
        }
    }

    /** The lease row; the clock is read at the statement, not at the transaction's start (a take may wait first). */
    private record Row(Optional<String> holder, long epoch, boolean expired) {}

    private static Row row(Connection connection, String lock)
            throws SQLException
    {
        try (Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery("SELECT holder, epoch, expire_time < clock_timestamp() FROM %s WHERE id = 1%s".formatted(TABLE, lock))) {
            if (!rows.next()) {
                throw new SQLException("the control store has no coordinator_lease row");
            }
            return new Row(Optional.ofNullable(rows.getString(1)), rows.getLong(2), rows.getBoolean(3));
        }
    }

    /** The holder's sessions, in any database of the server. */
    private static int sessions(Connection connection, String holder)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE starts_with(application_name, ?) AND pid <> pg_backend_pid()")) {
            select.setString(1, prefix(holder));
            try (ResultSet rows = select.executeQuery()) {
                rows.next();
                return rows.getInt(1);
            }
        }
    }

    /**
     * Ends the holder's sessions of this role (which needs no superuser), so that a transaction it left open (paused
     * or cut off) rolls back instead of holding the take up.
     */
    private static int endSessions(Connection connection, String holder)
            throws SQLException
    {
        int ended = 0;
        try (PreparedStatement terminate = connection.prepareStatement(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE starts_with(application_name, ?) AND usename = current_user AND pid <> pg_backend_pid()")) {
            terminate.setString(1, prefix(holder));
            try (ResultSet rows = terminate.executeQuery()) {
                while (rows.next()) {
                    ended += rows.getBoolean(1) ? 1 : 0;
                }
            }
        }
        return ended;
    }

    private static String prefix(String holder)
    {
        return "ferry/" + holder + "/";
    }

    @FunctionalInterface
    private interface Work<T>
    {
        T run(Connection connection)
                throws SQLException;
    }

    /**
     * Runs {@code work} in one transaction of the lease session, opened if need be. A session another replica ended
     * (it took the lease over) is opened again and the work run once more.
     */
    private <T> T inTransaction(Work<T> work)
    {
        for (int attempt = 1; ; attempt++) {
            try {
                Connection connection = session();
                try {
                    T result = work.run(connection);
                    connection.commit();
                    return result;
                }
                catch (SQLException | RuntimeException e) {
                    rollback(connection, e);
                    throw e;
                }
            }
            catch (SQLException e) {
                boolean lostSession = session == null;
                if (!lostSession || attempt == 2) {
                    throw new ControlStoreException("replication lease of %s: %s".formatted(holderId, e.getMessage()), e);
                }
                log.debug("Replication lease of {}: session lost ({}), opening another", holderId, e.getMessage());
            }
        }
    }

    private Connection session()
            throws SQLException
    {
        if (session == null) {
            Properties properties = new Properties();
            properties.setProperty("user", user);
            properties.setProperty("password", password);
            properties.setProperty("ApplicationName", applicationName("lease"));
            Connection connection = DriverManager.getConnection(jdbcUrl, properties);
            try {
                connection.setAutoCommit(false);
                connection.setSchema(ControlStore.SCHEMA);
            }
            catch (SQLException e) {
                connection.close();
                throw e;
            }
            session = connection;
        }
        return session;
    }

    /** Rolls back after a failure; a session that cannot is closed, to be opened again on next use. */
    private void rollback(Connection connection, Exception failure)
    {
        try {
            connection.rollback();
            if (connection.isValid(2)) {
                return;
            }
        }
        catch (SQLException e) {
            failure.addSuppressed(e);
        }
        closeSession();
    }

    private void closeSession()
    {
        if (session != null) {
            try {
                session.close();
            }
            catch (SQLException e) {
                log.debug("Replication lease of {}: could not close its session: {}", holderId, e.getMessage());
            }
            session = null;
        }
    }
}
