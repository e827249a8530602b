package dev.ferry.replication.apply;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.WriteFence;
import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.staging.RowChange;

import static java.util.Objects.requireNonNull;

/**
 * Sends the statements of an apply batch to the own database in few round trips: they are queued, in order, and run
 * as one composite statement (PostgreSQL's extended protocol runs each of its statements in turn, with their own
 * parameters, in one exchange, and answers each one's row count) per {@value #MAX_STATEMENTS} statements.
 *
 * <p>Why: with one round trip per row change, apply's rate was the machine's scheduling latency, not PostgreSQL's
 * work. Measured on the shared 2-core test machine at load averages of 20 to 40: each change's round trip took 3 to
 * 15 ms, so apply managed 100 to 300 changes/s, less than eight HMS clients wrote to the source (about 280/s), and a
 * cutover never caught up.
 */
final class ChangePipeline
{
    /** Statements per round trip; a batch of 256 HMS transactions is about 1,000 changes. */
    static final int MAX_STATEMENTS = 500;
    /** Bind parameters per round trip, well under the protocol's 65,535 of one message. */
    static final int MAX_PARAMETERS = 30_000;

    /** An update or delete, checked against its row count. */
    private record Change(TableMapping table, RowChange change, String gtid) {}

    /** How the outcome of a queued statement is checked: given the composite statement at that statement's result. */
    @FunctionalInterface
    private interface Check
    {
        Check NONE = statement -> {};

        void verify(PreparedStatement statement)
                throws SQLException;
    }

    private final Connection connection;
    private final Map<String, String> sql = new HashMap<>();
    private final StringBuilder pending = new StringBuilder();
    private final List<Object> parameters = new ArrayList<>();
    /** Per queued statement, how its outcome is checked. */
    private final List<Check> queued = new ArrayList<>();

    ChangePipeline(Connection connection)
    {
        this.connection = requireNonNull(connection, "connection is null");
    }

    /** Queues one row change of a source transaction. */
    void add(TableMapping table, RowChange change, String gtid)
            throws SQLException
    {
        List<ColumnMapping> columns = table.columns();
        List<Object> values = new ArrayList<>();
        String statement = switch (change.operation()) {
            case INSERT -> {
                values.addAll(change.after());
                yield sql.computeIfAbsent(table.name() + "/insert", key -> "INSERT INTO %s (%s) VALUES (%s)".formatted(table.targetIdentifier(),
                        String.join(", ", columns.stream().map(ColumnMapping::targetIdentifier).toList()),
                        String.join(", ", columns.stream().map(column -> "?").toList())));
            }
            case UPDATE -> {
                values.addAll(change.after());
                values.addAll(rowMatchValues(table, change.before()));
                yield sql.computeIfAbsent(table.name() + "/update", key -> "UPDATE %s SET %s WHERE %s".formatted(table.targetIdentifier(),
                        String.join(", ", columns.stream().map(column -> column.targetIdentifier() + " = ?").toList()), rowMatch(table)));
            }
            case DELETE -> {
                values.addAll(rowMatchValues(table, change.before()));
                yield sql.computeIfAbsent(table.name() + "/delete", key -> "DELETE FROM %s WHERE %s".formatted(table.targetIdentifier(), rowMatch(table)));
            }
        };
        Check check = change.operation() == RowChange.Operation.INSERT ? Check.NONE : oneRowChanged(new Change(table, change, gtid));
        queue(statement, values, check);
    }

    /** Queues a statement whose row count is not checked (the apply checkpoint). */
    void add(String statement, List<Object> values)
            throws SQLException
    {
        queue(statement, values, Check.NONE);
    }

    /** Queues a write fence's query: the flush that runs it fails with {@code FENCED} when it returns no row. */
    void addFence(WriteFence.Query fence)
            throws SQLException
    {
        queue(fence.sql(), fence.parameters(), statement -> {
            ResultSet rows = statement.getResultSet();
            if (rows == null || !rows.next()) {
                throw fence.lost();
            }
        });
    }

    private static Check oneRowChanged(Change change)
    {
        return statement -> {
            int rows = statement.getUpdateCount();
            if (rows != 1) {
                throw new ReplicationException(ReplicationException.Reason.VERIFICATION_FAILED,
                        "source transaction %s: %s of %s changed %s rows in the own database, expected 1 (row %s); the own database differs from the source"
                                .formatted(change.gtid(), change.change().operation(), change.table().name(), rows, change.change().before()));
            }
        };
    }

    private void queue(String statement, List<Object> values, Check check)
            throws SQLException
    {
        if (!queued.isEmpty() && (queued.size() >= MAX_STATEMENTS || parameters.size() + values.size() > MAX_PARAMETERS)) {
            flush();
        }
        pending.append(pending.isEmpty() ? "" : ";\n").append(statement);
        parameters.addAll(values);
        queued.add(check);
    }

    /**
     * Runs what is queued, in order, in the connection's transaction. An update or delete that changed no row, or
     * more than one, means the own database has drifted from the source: it fails naming the table, the
     * transaction and the row. A write fence's query that returned no row fails with {@code FENCED}.
     */
    void flush()
            throws SQLException
    {
        if (queued.isEmpty()) {
            return;
        }
        try (PreparedStatement statement = connection.prepareStatement(pending.toString())) {
            for (int i = 0; i < parameters.size(); i++) {
                bind(statement, i + 1, parameters.get(i));
            }
            statement.execute();
            for (Check check : queued) {
                check.verify(statement);
                statement.getMoreResults();
            }
        }
        finally {
            pending.setLength(0);
            parameters.clear();
            queued.clear();
        }
    }

    /** The row key, or for the few keyless tables one row equal in every column. */
    private static String rowMatch(TableMapping table)
    {
        if (!table.rowKey().isEmpty()) {
            return String.join(" AND ", table.rowKey().stream().map(column -> table.column(column).targetIdentifier() + " = ?").toList());
        }
        return "ctid = (SELECT ctid FROM %s WHERE %s LIMIT 1)".formatted(table.targetIdentifier(),
                String.join(" AND ", table.columns().stream().map(column -> column.targetIdentifier() + " IS NOT DISTINCT FROM ?").toList()));
    }

    private static List<Object> rowMatchValues(TableMapping table, List<Object> row)
    {
        if (table.rowKey().isEmpty()) {
            return row;
        }
        List<Object> key = new ArrayList<>();
        for (String column : table.rowKey()) {
            key.add(row.get(table.columnIndex(column)));
        }
        return key;
    }

    private static void bind(PreparedStatement statement, int parameter, Object value)
            throws SQLException
    {
        if (value == null) {
            statement.setNull(parameter, Types.NULL);
        }
        else if (value instanceof Long number) {
            statement.setLong(parameter, number);
        }
        else if (value instanceof String text) {
            statement.setString(parameter, text);
        }
        else if (value instanceof byte[] bytes) {
            statement.setBytes(parameter, bytes);
        }
        else if (value instanceof Boolean bit) {
            statement.setBoolean(parameter, bit);
        }
        else if (value instanceof Double number) {
            statement.setDouble(parameter, number);
        }
        else if (value instanceof LocalDateTime timestamp) {
            statement.setObject(parameter, timestamp);
        }
        else {
            throw new IllegalArgumentException("cannot bind a " + value.getClass().getName());
        }
    }
}
