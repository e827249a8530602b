package dev.ferry.front;

import java.util.List;

import org.apache.hadoop.hive.metastore.api.FieldSchema;

/** Partition names as Hive writes them ({@code day=2024-01-01/region=eu}), escaped as Hive's FileUtils.escapePathName does. */
final class PartitionNames
{
    private static final String ESCAPED = "\"#%'*/:=?\\\u007F{[]^";

    private PartitionNames() {}

    static String name(List<FieldSchema> keys, List<String> values, String defaultName)
    {
        StringBuilder name = new StringBuilder();
        for (int i = 0; i < keys.size(); i++) {
            if (i > 0) {
                name.append('/');
            }
            String value = i < values.size() ? values.get(i) : null;
            name.append(escape(keys.get(i).getName())).append('=').append(value == null || value.isEmpty() ? defaultName : escape(value));
        }
        return name.toString();
    }

    static String escape(String path)
    {
        StringBuilder escaped = new StringBuilder(path.length());
        for (char c : path.toCharArray()) {
            if (c < ' ' || ESCAPED.indexOf(c) >= 0) {
                escaped.append('%').append(String.format("%02X", (int) c));
            }
            else {
                escaped.append(c);
            }
        }
        return escaped.toString();
    }
}
