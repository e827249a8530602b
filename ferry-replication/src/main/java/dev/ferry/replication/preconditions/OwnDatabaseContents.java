package dev.ferry.replication.preconditions;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;

import static dev.ferry.replication.ReplicationException.Reason.OWN_DATABASE_NOT_EMPTY;
import static dev.ferry.replication.ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE;

/**
 * Checks that the own database holds a freshly initialised metastore and nothing more, in a read-only transaction.
 *
 * <p>Fresh means what Hive's schema tool inserts (the {@code hive} catalog, row 0 of TXNS, the VERSION row and the id
 * counters) plus what the metastore adds on its first start: the {@code default} database, the {@code admin} and
 * {@code public} roles and the global ALL privilege of {@code admin}. Id counters (SEQUENCE_TABLE, NOTIFICATION_SEQUENCE,
 * NEXT_LOCK_ID, NEXT_COMPACTION_QUEUE_ID, TXN_LOCK_TBL) are not metadata: the backfill replaces them with the
 * source's, so their values do not matter here. Any other row is metadata a migration would overwrite.
 */
final class OwnDatabaseContents
{
    private static final Set<String> IGNORED_TABLES = Set.of(
            "VERSION", "SEQUENCE_TABLE", "NOTIFICATION_SEQUENCE", "NEXT_LOCK_ID", "NEXT_COMPACTION_QUEUE_ID", "TXN_LOCK_TBL", "NEXT_TXN_ID");

    /** Rows a fresh metastore has, per table, as a condition that matches them. */
    private static final Map<String, String> FRESH_ROWS = Map.of(
            "CTLGS", "\"NAME\" = 'hive'",
            "DBS", "\"NAME\" = 'default' AND \"CTLG_NAME\" = 'hive'",
            "ROLES", "\"ROLE_NAME\" IN ('admin', 'public')",
            "GLOBAL_PRIVS", "\"PRINCIPAL_NAME\" = 'admin' AND \"PRINCIPAL_TYPE\" = 'ROLE' AND \"USER_PRIV\" = 'All'",
            "TXNS", "\"TXN_ID\" = 0");

    private static final int NAMES_SHOWN = 5;

    /** What a user would recognise in a table, and how to describe it: a count, with names where they help. */
    private record Kind(String table, String singular, String plural, Listing listing, String query)
    {
        enum Listing
        {
            /** The query returns one name per row. */
            NAMES,
            /** The query returns one row with a count. */
            COUNT,
        }

        static Kind named(String table, String singular, String plural, String query)
        {
            return new Kind(table, singular, plural, Listing.NAMES, query);
        }

        static Kind counted(String table, String singular, String plural, String query)
        {
            return new Kind(table, singular, plural, Listing.COUNT, query);
        }

        /** Such as "2 databases besides default (hr, sales)" or "1 transaction (1 open)", or empty when there is none. */
        Optional<String> find(Connection connection, Set<String> lowerCaseTables)
                throws SQLException
        {
            String query = storedNames(this.query, table, lowerCaseTables);
            return switch (listing) {
                case NAMES -> {
                    List<String> names = column(connection, query);
                    yield names.isEmpty() ? Optional.empty() : Optional.of("%s (%s)".formatted(counted(names.size()), shortList(names)));
                }
                case COUNT -> {
                    // One row: the count, and optionally a detail worth adding in parentheses.
                    List<String> row = firstRow(connection, query);
                    long count = Long.parseLong(row.get(0));
                    yield count == 0 ? Optional.empty() : Optional.of(row.size() > 1 ? "%s (%s)".formatted(counted(count), row.get(1)) : counted(count));
                }
            };
        }

        private String counted(long count)
        {
            return "%s %s".formatted(count, count == 1 ? singular : plural);
        }
    }

    private static final List<Kind> KINDS = List.of(
            Kind.named("CTLGS", "catalog besides hive", "catalogs besides hive",
                    "SELECT \"NAME\" FROM \"CTLGS\" WHERE NOT (" + FRESH_ROWS.get("CTLGS") + ") ORDER BY 1"),
            Kind.named("DBS", "database besides default", "databases besides default",
                    "SELECT CASE WHEN \"CTLG_NAME\" = 'hive' THEN \"NAME\" ELSE \"CTLG_NAME\" || '.' || \"NAME\" END FROM \"DBS\" WHERE NOT ("
                            + FRESH_ROWS.get("DBS") + ") ORDER BY 1"),
            Kind.named("TBLS", "table", "tables",
                    "SELECT d.\"NAME\" || '.' || t.\"TBL_NAME\" FROM \"TBLS\" t JOIN \"DBS\" d ON d.\"DB_ID\" = t.\"DB_ID\" ORDER BY 1"),
            Kind.counted("PARTITIONS", "partition", "partitions", "SELECT count(*) FROM \"PARTITIONS\""),
            Kind.named("FUNCS", "function", "functions",
                    "SELECT d.\"NAME\" || '.' || f.\"FUNC_NAME\" FROM \"FUNCS\" f JOIN \"DBS\" d ON d.\"DB_ID\" = f.\"DB_ID\" ORDER BY 1"),
            Kind.named("ROLES", "role besides admin and public", "roles besides admin and public",
                    "SELECT \"ROLE_NAME\" FROM \"ROLES\" WHERE NOT (" + FRESH_ROWS.get("ROLES") + ") ORDER BY 1"),
            Kind.counted("ROLE_MAP", "role grant", "role grants", "SELECT count(*) FROM \"ROLE_MAP\""),
            Kind.counted("TXNS", "transaction", "transactions",
                    "SELECT count(*), count(*) FILTER (WHERE \"TXN_STATE\" = 'o') || ' open' FROM \"TXNS\" WHERE NOT (" + FRESH_ROWS.get("TXNS") + ")"),
            Kind.counted("HIVE_LOCKS", "lock", "locks", "SELECT count(*) FROM \"HIVE_LOCKS\""),
            Kind.counted("NOTIFICATION_LOG", "notification log entry", "notification log entries", "SELECT count(*) FROM \"NOTIFICATION_LOG\""));

    /** Databases besides default in a schema without catalogs (2.3.0: no CTLGS, no DBS.CTLG_NAME). */
    private static final Kind DATABASES_WITHOUT_CATALOGS = Kind.named("DBS", "database besides default", "databases besides default",
            "SELECT \"NAME\" FROM \"DBS\" WHERE \"NAME\" <> 'default' ORDER BY 1");

    private OwnDatabaseContents() {}

    private static final Pattern QUOTED_NAME = Pattern.compile("\"([A-Z_0-9]+)\"");

    /** The query with the quoted names of a table stored in lower case (and of its columns) in lower case. */
    private static String storedNames(String query, String table, Set<String> lowerCaseTables)
    {
        if (!lowerCaseTables.contains(table)) {
            return query;
        }
        return QUOTED_NAME.matcher(query).replaceAll(match -> "\"" + match.group(1).toLowerCase(Locale.ROOT) + "\"");
    }

    static void checkFresh(OwnDatabaseTarget own, HmsSchemaScript schema)
    {
        Properties properties = own.connectionProperties();
        properties.setProperty("connectTimeout", String.valueOf(SourceSession.CONNECT_TIMEOUT.toSeconds()));
        try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), properties)) {
            // Read only, and one snapshot for all the counts.
            connection.setReadOnly(true);
            connection.setAutoCommit(false);
            connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try {
                List<String> found = findings(connection, own, schema);
                if (!found.isEmpty()) {
                    throw new ReplicationException(OWN_DATABASE_NOT_EMPTY,
                            "own database %s already holds metastore data: %s; a migration fills a freshly initialised own database and would overwrite it, so use an own database that holds no metadata besides the default database, or drop what is listed first"
                                    .formatted(displayUrl(own), String.join(", ", found)));
                }
            }
            finally {
                connection.rollback();
            }
        }
        catch (SQLException e) {
            throw new ReplicationException(OWN_DATABASE_UNAVAILABLE,
                    "cannot read the own database %s as %s: %s".formatted(displayUrl(own), own.user(), e.getMessage()));
        }
    }

    private static List<String> findings(Connection connection, OwnDatabaseTarget own, HmsSchemaScript schema)
            throws SQLException
    {
        Set<String> stored = new HashSet<>(column(connection,
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"));
        // Hive 3.1's PostgreSQL script leaves its transaction tables unquoted, so PostgreSQL stores them (and their
        // columns) in lower case; every other metastore table is quoted upper case.
        Set<String> lowerCaseTables = schema.tables().stream().filter(table -> !stored.contains(table) && stored.contains(table.toLowerCase(Locale.ROOT)))
                .collect(Collectors.toSet());
        Set<String> present = new HashSet<>(stored);
        lowerCaseTables.forEach(present::add);
        List<String> missing = schema.tables().stream().filter(table -> !present.contains(table)).toList();
        if (!missing.isEmpty()) {
            throw new ReplicationException(OWN_DATABASE_UNAVAILABLE,
                    "own database %s lacks %s of the %s metastore tables (%s); it must hold a metastore schema initialised by Hive's schema tool"
                            .formatted(displayUrl(own), missing.size(), schema.tables().size(), shortList(missing)));
        }
        List<String> found = new ArrayList<>();
        Set<String> described = new HashSet<>();
        boolean catalogs = schema.tables().contains("CTLGS");
        for (Kind kind : KINDS) {
            if (!schema.tables().contains(kind.table())) {
                continue;
            }
            Kind asStored = !catalogs && kind.table().equals("DBS") ? DATABASES_WITHOUT_CATALOGS : kind;
            described.add(asStored.table());
            asStored.find(connection, lowerCaseTables).ifPresent(found::add);
        }
        List<String> others = schema.tables().stream()
                .filter(table -> !described.contains(table) && !IGNORED_TABLES.contains(table))
                .toList();
        String counts = others.stream()
                .map(table -> storedNames("SELECT '%s', count(*) FROM \"%s\"%s".formatted(table, table,
                        FRESH_ROWS.containsKey(table) ? " WHERE NOT (" + FRESH_ROWS.get(table) + ")" : ""), table, lowerCaseTables))
                .collect(Collectors.joining(" UNION ALL "));
        List<String> otherTables = new ArrayList<>();
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(counts + " ORDER BY 1")) {
            while (result.next()) {
                if (result.getLong(2) > 0) {
                    otherTables.add(result.getString(1));
                }
            }
        }
        if (!otherTables.isEmpty()) {
            found.add("rows in %s other metastore %s (%s)".formatted(otherTables.size(), otherTables.size() == 1 ? "table" : "tables", shortList(otherTables)));
        }
        return found;
    }

    /** The URL without its parameters, which may carry secrets. */
    static String displayUrl(OwnDatabaseTarget own)
    {
        int parameters = own.jdbcUrl().indexOf('?');
        return parameters < 0 ? own.jdbcUrl() : own.jdbcUrl().substring(0, parameters);
    }

    /** The first few names, and "..." when there are more. */
    private static String shortList(List<String> names)
    {
        String shown = String.join(", ", names.subList(0, Math.min(names.size(), NAMES_SHOWN)));
        return names.size() > NAMES_SHOWN ? shown + ", ..." : shown;
    }

    private static List<String> firstRow(Connection connection, String sql)
            throws SQLException
    {
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            result.next();
            List<String> row = new ArrayList<>();
            for (int column = 1; column <= result.getMetaData().getColumnCount(); column++) {
                row.add(result.getString(column));
            }
            return row;
        }
    }

    private static List<String> column(Connection connection, String sql)
            throws SQLException
    {
        List<String> values = new ArrayList<>();
        try (Statement statement = connection.createStatement(); ResultSet result = statement.executeQuery(sql)) {
            while (result.next()) {
                values.add(result.getString(1));
            }
        }
        return values;
    }
}
