package dev.ferry.replication;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import static java.util.Objects.requireNonNull;

/**
 * What must still hold for replication to commit to the own database: checked in each of replication's own-database
 * transactions just before it commits (backfill, apply, the foreign keys, finalize, the deletion of a cancel). A
 * replica that lost the replication lease to another (issue 16) while it was paused or cut off then cannot commit
 * anything once the other took over. {@link #NONE}, the default, checks nothing: one process alone.
 */
public interface WriteFence
{
    /** Checks nothing. */
    WriteFence NONE = new WriteFence()
    {
        @Override
        public void check(Connection ownConnection) {}

        @Override
        public String toString()
        {
            return "no write fence";
        }
    };

    /**
     * Runs in the caller's open transaction on the own database, just before it commits.
     *
     * @throws ReplicationException {@code FENCED} when the fence no longer holds; the caller rolls back
     */
    void check(Connection ownConnection)
            throws SQLException;

    /**
     * The check as one query, for a caller that sends it along with its own statements in one round trip (apply):
     * the fence holds when it returns a row, and the caller throws {@link Query#lost()} when it returns none. Empty:
     * the caller calls {@link #check} instead.
     */
    default Optional<Query> query()
    {
        return Optional.empty();
    }

    /**
     * Whether this process may still take the fence to hold, by its own clock, without asking the database: checked
     * before the writes the fence's query cannot cover (appends to the staging log, which is files). A replica that
     * was paused past its lease finds it false at once when it resumes, before its first transaction fails.
     */
    default boolean heldLocally()
    {
        return true;
    }

    /**
     * This fence, held locally only while {@code held} says so as well.
     *
     * @param held this process's own view of its lease (held, and not past its expiry by the local clock)
     */
    default WriteFence whileHeldLocally(BooleanSupplier held)
    {
        requireNonNull(held, "held is null");
        WriteFence fence = this;
        return new WriteFence()
        {
            @Override
            public void check(Connection ownConnection)
                    throws SQLException
            {
                fence.check(ownConnection);
            }

            @Override
            public Optional<Query> query()
            {
                return fence.query();
            }

            @Override
            public boolean heldLocally()
            {
                return held.getAsBoolean() && fence.heldLocally();
            }

            @Override
            public String toString()
            {
                return fence + ", held locally while the lease is";
            }
        };
    }

    /** A fence that holds while {@code query} returns a row in the caller's transaction. */
    static WriteFence of(Query query)
    {
        requireNonNull(query, "query is null");
        return new WriteFence()
        {
            @Override
            public void check(Connection ownConnection)
                    throws SQLException
            {
                try (PreparedStatement statement = ownConnection.prepareStatement(query.sql())) {
                    for (int i = 0; i < query.parameters().size(); i++) {
                        statement.setObject(i + 1, query.parameters().get(i));
                    }
                    try (ResultSet rows = statement.executeQuery()) {
                        if (!rows.next()) {
                            throw query.lost();
                        }
                    }
                }
            }

            @Override
            public Optional<Query> query()
            {
                return Optional.of(query);
            }

            @Override
            public String toString()
            {
                return "write fence " + query.sql() + " " + query.parameters();
            }
        };
    }

    /**
     * @param sql a query that returns a row while the fence holds, and should lock what it read until the commit
     *     (so that whoever moves the fence waits for the transactions it let through)
     * @param parameters its parameters: {@code Long} or {@code String}
     * @param lostMessage what the {@code FENCED} failure says when it returns no row
     */
    record Query(String sql, List<Object> parameters, String lostMessage)
    {
        public Query
        {
            requireNonNull(sql, "sql is null");
            parameters = List.copyOf(parameters);
            requireNonNull(lostMessage, "lostMessage is null");
            for (Object parameter : parameters) {
                if (!(parameter instanceof Long) && !(parameter instanceof String)) {
                    throw new IllegalArgumentException("a fence query's parameters are Long or String, got " + parameter.getClass().getName());
                }
            }
        }

        /** The failure when the query returned no row. */
        public ReplicationException lost()
        {
            return new ReplicationException(ReplicationException.Reason.FENCED, lostMessage);
        }
    }
}
