package dev.ferry.replication.verify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.Conversion;
import dev.ferry.replication.schema.TableMapping;

import static java.util.Objects.requireNonNull;

/**
 * Reads ranges of a table on one side and sums their rows into a {@link Checksum}, streaming: a result set holds
 * at most {@code fetchSize} rows. Each statement is a plain read of its own (on PostgreSQL a short transaction,
 * which cursor streaming needs), so no lock or snapshot is held from one chunk to the next.
 */
final class ChunkReader
{
    private final Connection connection;
    private final Side side;
    private final int fetchSize;

    ChunkReader(Connection connection, Side side, int fetchSize)
            throws SQLException
    {
        this.connection = requireNonNull(connection, "connection is null");
        this.side = requireNonNull(side, "side is null");
        this.fetchSize = fetchSize;
        connection.setReadOnly(true);
        if (side == Side.OWN) {
            // The PostgreSQL driver streams with a cursor only inside a transaction.
            connection.setAutoCommit(false);
        }
    }

    /**
     * The key of the {@code chunkSize}-th row after {@code after} in key order, which ends the next chunk; empty
     * when fewer rows are left, so the next chunk runs to the end of the table.
     */
    List<Object> chunkEnd(TableMapping table, List<ColumnMapping> key, List<Object> after, int chunkSize)
            throws SQLException
    {
        Query where = where(key, after, List.of());
        String sql = "SELECT " + key.stream().map(side::column).collect(Collectors.joining(", ")) + " FROM " + side.table(table) + where.sql()
                + " ORDER BY " + key.stream().map(side::keyExpression).collect(Collectors.joining(", ")) + " LIMIT 1 OFFSET " + (chunkSize - 1);
        try (PreparedStatement statement = prepare(sql, where.parameters());
                ResultSet result = statement.executeQuery()) {
            List<Object> end = new ArrayList<>();
            if (result.next()) {
                for (int i = 0; i < key.size(); i++) {
                    end.add(key.get(i).conversion().canonical(value(result, i + 1, key.get(i).conversion())));
                }
            }
            return end;
        }
        finally {
            endTransaction();
        }
    }

    Checksum read(TableMapping table, List<ColumnMapping> key, KeyRange range)
            throws SQLException
    {
        Query where = where(key, range.after(), range.through());
        RowHasher hasher = new RowHasher();
        hashRows(table, where.sql(), where.parameters(), result -> hasher);
        return hasher.checksum();
    }

    /**
     * The rows of a key range grouped by the value of {@code first}, an integer column: a checksum per value, so
     * that a range that differs can be narrowed to the values that differ. A range holds at most a chunk of rows.
     */
    Map<Long, Checksum> readByValue(TableMapping table, List<ColumnMapping> key, KeyRange range, ColumnMapping first)
            throws SQLException
    {
        Query where = where(key, range.after(), range.through());
        int index = table.columnIndex(first.name()) + 1;
        Map<Long, RowHasher> hashers = new HashMap<>();
        hashRows(table, where.sql(), where.parameters(), result -> {
            if (!(first.conversion().canonical(value(result, index, first.conversion())) instanceof Number number)) {
                throw new SQLException("table %s has a row whose %s is not an integer".formatted(table.name(), first.name()));
            }
            return hashers.computeIfAbsent(number.longValue(), ignored -> new RowHasher());
        });
        Map<Long, Checksum> checksums = new HashMap<>();
        hashers.forEach((value, hasher) -> checksums.put(value, hasher.checksum()));
        return checksums;
    }

    /** The rows whose {@code column}, an integer, has one of {@code values}. */
    Checksum readKeys(TableMapping table, ColumnMapping column, List<Long> values)
            throws SQLException
    {
        String where = " WHERE " + side.column(column) + " IN (" + values.stream().map(value -> "?").collect(Collectors.joining(", ")) + ")";
        RowHasher hasher = new RowHasher();
        hashRows(table, where, List.copyOf(values), result -> hasher);
        return hasher.checksum();
    }

    /** Which hasher a row goes to, from the row itself. */
    private interface HasherChoice
    {
        RowHasher of(ResultSet row)
                throws SQLException;
    }

    /** Reads every column of the table's rows that {@code where} selects and hashes each row into its hasher. */
    private void hashRows(TableMapping table, String where, List<Object> parameters, HasherChoice hashers)
            throws SQLException
    {
        List<ColumnMapping> columns = table.columns();
        String sql = "SELECT " + columns.stream().map(side::column).collect(Collectors.joining(", ")) + " FROM " + side.table(table) + where;
        try (PreparedStatement statement = prepare(sql, parameters);
                ResultSet result = statement.executeQuery()) {
            while (result.next()) {
                RowHasher hasher = hashers.of(result);
                for (int i = 0; i < columns.size(); i++) {
                    Conversion conversion = columns.get(i).conversion();
                    Object canonical = conversion.canonical(value(result, i + 1, conversion));
                    hasher.value(canonical == null ? null : conversion.normalText(canonical));
                }
                hasher.endRow();
            }
        }
        finally {
            endTransaction();
        }
    }

    private PreparedStatement prepare(String sql, List<Object> parameters)
            throws SQLException
    {
        PreparedStatement statement = connection.prepareStatement(sql, ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
        try {
            statement.setFetchSize(fetchSize);
            for (int i = 0; i < parameters.size(); i++) {
                Object parameter = parameters.get(i);
                if (parameter instanceof Long number) {
                    statement.setLong(i + 1, number);
                }
                else {
                    statement.setString(i + 1, (String) parameter);
                }
            }
            return statement;
        }
        catch (SQLException | RuntimeException e) {
            statement.close();
            throw e;
        }
    }

    private void endTransaction()
            throws SQLException
    {
        if (!connection.getAutoCommit()) {
            connection.commit();
        }
    }

    /** A value as JDBC reads it for the column's conversion, before {@link Conversion#canonical}. */
    private static Object value(ResultSet result, int index, Conversion conversion)
            throws SQLException
    {
        return switch (conversion) {
            case INTEGER -> {
                long value = result.getLong(index);
                yield result.wasNull() ? null : value;
            }
            case FLOAT -> {
                double value = result.getDouble(index);
                yield result.wasNull() ? null : value;
            }
            case BIT_TO_BOOLEAN, BOOLEAN, BIT_TO_INTEGER -> result.getObject(index);
            case STRING -> result.getString(index);
            case BYTES -> result.getBytes(index);
            // Source sessions run in UTC (JdbcConnections), and the own database stores UTC wall-clock times.
            case TIMESTAMP -> result.getObject(index, LocalDateTime.class);
        };
    }

    private record Query(String sql, List<Object> parameters) {}

    /**
     * The rows whose key is after {@code after} and at most {@code through}, as keyset conditions spelled out
     * column by column ({@code k1 > ? OR (k1 = ? AND k2 > ?)}), which both databases turn into index ranges, plus
     * a plain bound on the first key column so the index is used even where the expanded form is not.
     */
    private Query where(List<ColumnMapping> key, List<Object> after, List<Object> through)
    {
        List<String> conditions = new ArrayList<>();
        List<Object> parameters = new ArrayList<>();
        if (!after.isEmpty()) {
            conditions.add(side.keyExpression(key.get(0)) + " >= ?");
            parameters.add(after.get(0));
            conditions.add(keyset(key, after, ">", ">", parameters));
        }
        if (!through.isEmpty()) {
            conditions.add(side.keyExpression(key.get(0)) + " <= ?");
            parameters.add(through.get(0));
            conditions.add(keyset(key, through, "<", "<=", parameters));
        }
        String sql = conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions);
        return new Query(sql, parameters);
    }

    private String keyset(List<ColumnMapping> key, List<Object> bound, String comparison, String lastComparison, List<Object> parameters)
    {
        List<String> alternatives = new ArrayList<>();
        for (int i = 0; i < key.size(); i++) {
            List<String> terms = new ArrayList<>();
            for (int j = 0; j < i; j++) {
                terms.add(side.keyExpression(key.get(j)) + " = ?");
                parameters.add(bound.get(j));
            }
            terms.add(side.keyExpression(key.get(i)) + " " + (i == key.size() - 1 ? lastComparison : comparison) + " ?");
            parameters.add(bound.get(i));
            alternatives.add(String.join(" AND ", terms));
        }
        return alternatives.stream().map(terms -> "(" + terms + ")").collect(Collectors.joining(" OR ", "(", ")"));
    }
}
