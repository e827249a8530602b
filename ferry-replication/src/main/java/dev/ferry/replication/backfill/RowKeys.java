package dev.ferry.replication.backfill;

import java.util.ArrayList;
import java.util.List;

/**
 * Row-key values as text, for the chunk bounds kept in the own database: {@code L123} for an integer, {@code Sabc}
 * for a string, the only key types of the HMS schema. Ordered as MySQL orders them under latin1_bin.
 */
public final class RowKeys
{
    private RowKeys() {}

    public static List<String> encode(List<Object> canonicalValues)
    {
        List<String> encoded = new ArrayList<>(canonicalValues.size());
        for (Object value : canonicalValues) {
            if (value instanceof Long number) {
                encoded.add("L" + number);
            }
            else if (value instanceof String text) {
                encoded.add("S" + text);
            }
            else {
                throw new IllegalArgumentException("row key values are integers or strings, not " + (value == null ? "null" : value.getClass().getName()));
            }
        }
        return List.copyOf(encoded);
    }

    public static List<Object> decode(List<String> encoded)
    {
        List<Object> values = new ArrayList<>(encoded.size());
        for (String value : encoded) {
            values.add(switch (value.charAt(0)) {
                case 'L' -> Long.parseLong(value.substring(1));
                case 'S' -> value.substring(1);
                default -> throw new IllegalArgumentException("not an encoded row key value: " + value);
            });
        }
        return values;
    }

    /** Compares two keys of the same table, component by component. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static int compare(List<Object> left, List<Object> right)
    {
        for (int i = 0; i < left.size(); i++) {
            int order = ((Comparable) left.get(i)).compareTo(right.get(i));
            if (order != 0) {
                return order;
            }
        }
        return 0;
    }
}
