package dev.ferry.replication.preconditions;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything a PostgreSQL database holds, reduced to comparable values: for every table of every schema its row
 * count and a digest of its rows in a fixed order, and every sequence's state. Two equal fingerprints taken before
 * and after an operation show that it wrote nothing.
 */
final class OwnDatabaseFingerprint
{
    private OwnDatabaseFingerprint() {}

    static Map<String, String> of(Connection connection)
            throws SQLException
    {
        Map<String, String> fingerprint = new TreeMap<>();
        for (String table : names(connection, "SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables "
                + "WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')")) {
            fingerprint.put("table " + table, single(connection,
                    "SELECT count(*) || ' rows, md5 ' || md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) FROM " + table + " t"));
        }
        for (String sequence : names(connection, "SELECT format('%I.%I', sequence_schema, sequence_name) FROM information_schema.sequences")) {
            fingerprint.put("sequence " + sequence, single(connection, "SELECT last_value || ' ' || is_called FROM " + sequence));
        }
        return fingerprint;
    }

    private static List<String> names(Connection connection, String sql)
            throws SQLException
    {
        List<String> names = new ArrayList<>();
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) {
                names.add(result.getString(1));
            }
        }
        return names;
    }

    private static String single(Connection connection, String sql)
            throws SQLException
    {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            result.next();
            return result.getString(1);
        }
    }
}
