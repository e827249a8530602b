package dev.ferry.replication.staging;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One row changed by a source transaction, with canonical values (see {@code Conversion}) in the order of the
 * table's columns in the schema mapping. {@code before} is empty for an insert, {@code after} for a delete.
 */
public record RowChange(String table, Operation operation, List<Object> before, List<Object> after)
{
    public enum Operation
    {
        INSERT('c'),
        UPDATE('u'),
        DELETE('d');

        private final char code;

        Operation(char code)
        {
            this.code = code;
        }

        public char code()
        {
            return code;
        }

        public static Operation of(char code)
        {
            for (Operation operation : values()) {
                if (operation.code == code) {
                    return operation;
                }
            }
            throw new IllegalArgumentException("unknown row operation code " + code);
        }
    }

    public RowChange
    {
        requireNonNull(table, "table is null");
        requireNonNull(operation, "operation is null");
        // Values may be null, so no List.copyOf.
        before = Collections.unmodifiableList(new ArrayList<>(before));
        after = Collections.unmodifiableList(new ArrayList<>(after));
        if ((operation == Operation.INSERT) != before.isEmpty() || (operation == Operation.DELETE) != after.isEmpty()) {
            throw new IllegalArgumentException("%s of %s with %s values before and %s after".formatted(operation, table, before.size(), after.size()));
        }
    }

    @Override
    public String toString()
    {
        return "%s %s before=%s after=%s".formatted(operation, table, text(before), text(after));
    }

    private static String text(List<Object> values)
    {
        return values.stream().map(value -> value instanceof byte[] bytes ? "0x" + HexFormat.of().formatHex(bytes)
                : String.valueOf(value)).toList().toString();
    }
}
