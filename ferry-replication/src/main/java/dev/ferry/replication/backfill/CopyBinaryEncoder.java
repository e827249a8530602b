package dev.ferry.replication.backfill;

import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.Conversion;
import dev.ferry.replication.schema.TableMapping;

import static java.util.Objects.requireNonNull;

/**
 * Renders rows of a source result set in PostgreSQL's binary COPY format, straight into a byte buffer: PostgreSQL
 * then parses no text, and Ferry formats none. Values are those of {@link Conversion#canonical}; integers and
 * strings, nearly every value of the HMS tables, skip the canonical object: an integer is written from
 * {@code getLong}, a string is the driver's UTF-8 bytes (Connector/J reads results as utf8mb4). Each field is sent
 * in the binary form of its PostgreSQL column type, which must match exactly (an int column takes 4 bytes, a bigint
 * 8). Keeps the row key of the last row rendered.
 */
final class CopyBinaryEncoder
{
    /** The COPY options this encoder's output needs. */
    static final String COPY_OPTIONS = "(FORMAT binary)";

    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final LocalDateTime POSTGRES_EPOCH = LocalDateTime.of(2000, 1, 1, 0, 0);

    /** The binary form of one column: PostgreSQL's {@code *send} format of its type. */
    private enum Field
    {
        INT8, INT4, INT2, BOOL, FLOAT8, FLOAT4, TIMESTAMP, BYTES
    }

    private final String table;
    private final List<ColumnMapping> columns;
    private final Conversion[] conversions;
    private final Field[] fields;
    private final int[] keyPositions;
    private final Conversion[] keyConversions;
    private final long[] keyIntegers;
    private final Object[] keyValues;
    private byte[] buffer;
    private int length;

    /** @throws IllegalArgumentException for a column whose PostgreSQL type has no binary form here */
    CopyBinaryEncoder(TableMapping table, int initialCapacity)
    {
        requireNonNull(table, "table is null");
        this.table = table.name();
        columns = table.columns();
        conversions = columns.stream().map(ColumnMapping::conversion).toArray(Conversion[]::new);
        fields = columns.stream().map(column -> field(table, column)).toArray(Field[]::new);
        keyPositions = new int[columns.size()];
        Arrays.fill(keyPositions, -1);
        List<String> key = table.rowKey();
        keyConversions = new Conversion[key.size()];
        for (int position = 0; position < key.size(); position++) {
            int column = table.columnIndex(key.get(position));
            keyPositions[column] = position;
            keyConversions[position] = conversions[column];
        }
        keyIntegers = new long[key.size()];
        keyValues = new Object[key.size()];
        buffer = new byte[initialCapacity];
    }

    private static Field field(TableMapping table, ColumnMapping column)
    {
        String type = column.target().type();
        int parenthesis = type.indexOf('(');
        String base = parenthesis < 0 ? type : type.substring(0, parenthesis);
        Field field = switch (column.conversion()) {
            case INTEGER, BIT_TO_INTEGER -> switch (base) {
                case "bigint" -> Field.INT8;
                case "int" -> Field.INT4;
                case "smallint" -> Field.INT2;
                default -> null;
            };
            case BIT_TO_BOOLEAN, BOOLEAN -> base.equals("boolean") ? Field.BOOL : null;
            case STRING -> base.matches("varchar|char|text") ? Field.BYTES : null;
            case BYTES -> base.equals("bytea") ? Field.BYTES : null;
            case FLOAT -> switch (base) {
                case "double precision" -> Field.FLOAT8;
                case "real" -> Field.FLOAT4;
                default -> null;
            };
            case TIMESTAMP -> base.equals("timestamp") ? Field.TIMESTAMP : null;
        };
        if (field == null) {
            throw new IllegalArgumentException("no binary COPY for column %s.%s: %s to PostgreSQL %s".formatted(table.name(), column.name(), column.conversion(), type));
        }
        return field;
    }

    /** Starts one COPY's data: the binary format's header. */
    void startCopy()
    {
        put(HEADER, 0, HEADER.length);
    }

    /** Ends one COPY's data: the binary format's trailer. */
    void endCopy()
    {
        putShort(-1);
    }

    /** Appends the result set's current row. */
    void append(ResultSet results)
            throws SQLException
    {
        putShort(conversions.length);
        for (int i = 0; i < conversions.length; i++) {
            int column = i + 1;
            int keyPosition = keyPositions[i];
            switch (conversions[i]) {
                case INTEGER -> {
                    long number = results.getLong(column);
                    if (results.wasNull()) {
                        putNull(i);
                    }
                    else {
                        putInteger(i, number);
                        if (keyPosition >= 0) {
                            keyIntegers[keyPosition] = number;
                        }
                    }
                }
                case STRING -> {
                    byte[] text = results.getBytes(column);
                    if (text == null) {
                        putNull(i);
                    }
                    else {
                        putInt(text.length);
                        put(text, 0, text.length);
                        if (keyPosition >= 0) {
                            keyValues[keyPosition] = text;
                        }
                    }
                }
                case BIT_TO_BOOLEAN, BOOLEAN, BIT_TO_INTEGER, BYTES, FLOAT, TIMESTAMP -> {
                    Object canonical = conversions[i].canonical(jdbcValue(results, column, conversions[i]));
                    putCanonical(i, canonical);
                    if (keyPosition >= 0) {
                        keyValues[keyPosition] = canonical;
                    }
                }
            }
        }
    }

    /** The canonical row key of the last row appended; empty for a table without one. */
    List<Object> lastKey()
    {
        List<Object> key = new ArrayList<>(keyValues.length);
        for (int position = 0; position < keyValues.length; position++) {
            Object value = keyValues[position];
            key.add(switch (keyConversions[position]) {
                case INTEGER -> keyIntegers[position];
                case STRING -> new String((byte[]) value, StandardCharsets.UTF_8);
                case BIT_TO_BOOLEAN, BOOLEAN, BIT_TO_INTEGER, BYTES, FLOAT, TIMESTAMP -> value;
            });
        }
        return key;
    }

    int length()
    {
        return length;
    }

    /** The rendered bytes so far, which the caller now owns; the encoder starts a new buffer of the given size. */
    byte[] take(int nextCapacity)
    {
        byte[] taken = buffer;
        buffer = new byte[nextCapacity];
        length = 0;
        return taken;
    }

    private void putNull(int column)
    {
        if (keyPositions[column] >= 0) {
            throw new IllegalStateException("row key column %s.%s is null".formatted(table, columns.get(column).name()));
        }
        putInt(-1);
    }

    private void putCanonical(int column, Object canonical)
    {
        if (canonical == null) {
            putNull(column);
            return;
        }
        switch (fields[column]) {
            case INT8, INT4, INT2 -> putInteger(column, (Long) canonical);
            case BOOL -> {
                putInt(1);
                put((byte) ((Boolean) canonical ? 1 : 0));
            }
            case FLOAT8 -> {
                putInt(8);
                putLong(Double.doubleToRawLongBits((Double) canonical));
            }
            case FLOAT4 -> {
                putInt(4);
                putInt(Float.floatToRawIntBits(((Double) canonical).floatValue()));
            }
            case TIMESTAMP -> {
                putInt(8);
                putLong(ChronoUnit.MICROS.between(POSTGRES_EPOCH, (LocalDateTime) canonical));
            }
            case BYTES -> {
                byte[] bytes = (byte[]) canonical;
                putInt(bytes.length);
                put(bytes, 0, bytes.length);
            }
        }
    }

    private void putInteger(int column, long number)
    {
        switch (fields[column]) {
            case INT8 -> {
                putInt(8);
                putLong(number);
            }
            case INT4 -> {
                if (number != (int) number) {
                    throw outOfRange(column, number);
                }
                putInt(4);
                putInt((int) number);
            }
            case INT2 -> {
                if (number != (short) number) {
                    throw outOfRange(column, number);
                }
                putInt(2);
                putShort((int) number);
            }
            case BOOL, FLOAT8, FLOAT4, TIMESTAMP, BYTES -> throw new IllegalStateException("column %s.%s is not an integer".formatted(table, columns.get(column).name()));
        }
    }

    private IllegalArgumentException outOfRange(int column, long number)
    {
        ColumnMapping mapping = columns.get(column);
        return new IllegalArgumentException("value %s of column %s.%s is out of range for PostgreSQL %s".formatted(number, table, mapping.name(), mapping.target().type()));
    }

    private void putLong(long value)
    {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            buffer[length++] = (byte) (value >>> shift);
        }
    }

    private void putInt(int value)
    {
        ensure(4);
        buffer[length++] = (byte) (value >>> 24);
        buffer[length++] = (byte) (value >>> 16);
        buffer[length++] = (byte) (value >>> 8);
        buffer[length++] = (byte) value;
    }

    private void putShort(int value)
    {
        ensure(2);
        buffer[length++] = (byte) (value >>> 8);
        buffer[length++] = (byte) value;
    }

    private void put(byte value)
    {
        ensure(1);
        buffer[length++] = value;
    }

    private void put(byte[] bytes, int offset, int count)
    {
        ensure(count);
        System.arraycopy(bytes, offset, buffer, length, count);
        length += count;
    }

    private void ensure(int more)
    {
        if (length + more > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, length + more));
        }
    }

    /** The value of a column without a fast path, with the cheapest getter for its conversion. */
    private static Object jdbcValue(ResultSet results, int column, Conversion conversion)
            throws SQLException
    {
        return switch (conversion) {
            case BIT_TO_INTEGER -> {
                long number = results.getLong(column);
                yield results.wasNull() ? null : number;
            }
            case BYTES -> results.getBytes(column);
            case FLOAT -> {
                double number = results.getDouble(column);
                yield results.wasNull() ? null : number;
            }
            case BIT_TO_BOOLEAN, BOOLEAN, TIMESTAMP -> results.getObject(column);
            case INTEGER, STRING -> throw new IllegalStateException(conversion + " has a fast path");
        };
    }
}
