package dev.ferry.replication.backfill;

import java.nio.charset.StandardCharsets;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.Conversion;
import dev.ferry.replication.schema.TableMapping;

import static java.util.Objects.requireNonNull;

/**
 * Renders rows of a source result set as PostgreSQL COPY text, straight into a byte buffer. Integers and strings,
 * nearly every value of the HMS tables, skip the canonical value: an integer is written digit by digit from
 * {@code getLong}, a string is the driver's UTF-8 bytes (Connector/J reads results as utf8mb4) escaped byte by byte,
 * which is safe because no byte of a multi-byte UTF-8 sequence is below 0x80. The bytes are the UTF-8 of
 * {@link Conversion#copyText} of the canonical value; other conversions go through it. Keeps the row key of the
 * last row rendered.
 */
final class CopyTextEncoder
{
    private static final byte[] NULL = {'\\', 'N'};

    private final Conversion[] conversions;
    private final int[] keyPositions;
    private final Conversion[] keyConversions;
    private final long[] keyIntegers;
    private final Object[] keyValues;
    private byte[] buffer;
    private int length;

    CopyTextEncoder(TableMapping table, int initialCapacity)
    {
        requireNonNull(table, "table is null");
        List<ColumnMapping> columns = table.columns();
        conversions = columns.stream().map(ColumnMapping::conversion).toArray(Conversion[]::new);
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

    /** Appends the result set's current row, one COPY text line. */
    void append(ResultSet results)
            throws SQLException
    {
        for (int i = 0; i < conversions.length; i++) {
            if (i > 0) {
                put((byte) '\t');
            }
            int column = i + 1;
            int keyPosition = keyPositions[i];
            switch (conversions[i]) {
                case INTEGER -> {
                    long number = results.getLong(column);
                    if (results.wasNull()) {
                        putNull(keyPosition);
                    }
                    else {
                        putLong(number);
                        if (keyPosition >= 0) {
                            keyIntegers[keyPosition] = number;
                            keyValues[keyPosition] = null;
                        }
                    }
                }
                case STRING -> {
                    byte[] text = results.getBytes(column);
                    if (text == null) {
                        putNull(keyPosition);
                    }
                    else {
                        putEscaped(text);
                        if (keyPosition >= 0) {
                            keyValues[keyPosition] = text;
                        }
                    }
                }
                case BIT_TO_BOOLEAN, BOOLEAN, BIT_TO_INTEGER, BYTES, FLOAT, TIMESTAMP -> {
                    Object canonical = conversions[i].canonical(jdbcValue(results, column, conversions[i]));
                    putText(conversions[i].copyText(canonical));
                    if (keyPosition >= 0) {
                        keyValues[keyPosition] = canonical;
                    }
                }
            }
        }
        put((byte) '\n');
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

    private void putNull(int keyPosition)
    {
        if (keyPosition >= 0) {
            throw new IllegalStateException("row key column is null");
        }
        put(NULL, 0, NULL.length);
    }

    private void putLong(long number)
    {
        if (number == Long.MIN_VALUE) {
            putText(Long.toString(number));
            return;
        }
        ensure(20);
        long rest = number;
        if (rest < 0) {
            buffer[length++] = '-';
            rest = -rest;
        }
        int digits = 1;
        for (long bound = 10; digits < 19 && rest >= bound; bound *= 10) {
            digits++;
        }
        int end = length + digits;
        for (int at = end - 1; at >= length; at--) {
            buffer[at] = (byte) ('0' + rest % 10);
            rest /= 10;
        }
        length = end;
    }

    /** COPY text escapes of {@link Conversion#copyText} for strings: backslash, newline, carriage return, tab. */
    private void putEscaped(byte[] text)
    {
        ensure(text.length);
        int copied = 0;
        for (int i = 0; i < text.length; i++) {
            byte escaped = switch (text[i]) {
                case '\\' -> '\\';
                case '\n' -> 'n';
                case '\r' -> 'r';
                case '\t' -> 't';
                default -> 0;
            };
            if (escaped != 0) {
                put(text, copied, i - copied);
                ensure(2 + text.length - i);
                buffer[length++] = '\\';
                buffer[length++] = escaped;
                copied = i + 1;
            }
        }
        put(text, copied, text.length - copied);
    }

    private void putText(String text)
    {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        put(bytes, 0, bytes.length);
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

    /** The column's value with the cheapest getter for its conversion; {@code getObject} only where needed. */
    private static Object jdbcValue(ResultSet results, int column, Conversion conversion)
            throws SQLException
    {
        switch (conversion) {
            case INTEGER, BIT_TO_INTEGER -> {
                long number = results.getLong(column);
                return results.wasNull() ? null : number;
            }
            case STRING -> {
                return results.getString(column);
            }
            case BYTES -> {
                return results.getBytes(column);
            }
            case FLOAT -> {
                double number = results.getDouble(column);
                return results.wasNull() ? null : number;
            }
            case BIT_TO_BOOLEAN, BOOLEAN, TIMESTAMP -> {
                // getObject below.
            }
        }
        Object value = results.getObject(column);
        if (value instanceof Blob blob) {
            return blob.getBytes(1, (int) blob.length());
        }
        if (value instanceof Clob clob) {
            return clob.getSubString(1, (int) clob.length());
        }
        return value;
    }
}
