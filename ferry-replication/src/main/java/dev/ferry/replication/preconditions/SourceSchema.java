package dev.ferry.replication.preconditions;

import java.sql.SQLException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import dev.ferry.replication.ReplicationException;

import static dev.ferry.replication.ReplicationException.Reason.SOURCE_SCHEMA_INCOMPLETE;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_SCHEMA_VERSION_MISMATCH;
import static dev.ferry.replication.preconditions.Privileges.quote;

/** Checks the metastore schema in the source database: its recorded version, then that every table is there. */
final class SourceSchema
{
    private static final int NO_SUCH_TABLE = 1146;

    private SourceSchema() {}

    static void checkVersion(SourceSession session, String database, String expectedVersion)
    {
        String where = "the source database %s at %s".formatted(database, session.address());
        List<List<String>> databases = session.rows("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", database);
        if (databases.isEmpty()) {
            throw new ReplicationException(SOURCE_SCHEMA_INCOMPLETE,
                    "%s does not exist (or the %s sees no table in it); check the database name".formatted(where, session.account().describe()));
        }
        String query = "SELECT SCHEMA_VERSION FROM %s.`VERSION`".formatted(quote(database));
        Optional<SQLException> missing = session.attempt("SELECT 1 FROM %s.`VERSION` WHERE 1 = 0".formatted(quote(database)));
        if (missing.isPresent()) {
            if (missing.get().getErrorCode() == NO_SUCH_TABLE) {
                throw new ReplicationException(SOURCE_SCHEMA_INCOMPLETE,
                        "%s has no Hive metastore schema: table VERSION is missing; point Ferry at the metastore's database".formatted(where));
            }
            throw session.failed(query, missing.get());
        }
        List<String> versions = session.rows(query).stream().map(row -> row.get(0)).toList();
        if (versions.isEmpty()) {
            throw new ReplicationException(SOURCE_SCHEMA_INCOMPLETE,
                    "%s has no metastore schema version: table VERSION is empty; Hive's schema tool (schematool -info) shows what it holds".formatted(where));
        }
        if (versions.size() > 1) {
            throw new ReplicationException(SOURCE_SCHEMA_VERSION_MISMATCH,
                    "%s records %s metastore schema versions (%s), but a metastore records exactly one, and Ferry expects %s; repair table VERSION"
                            .formatted(where, versions.size(), String.join(", ", versions), expectedVersion));
        }
        if (!expectedVersion.equals(versions.get(0))) {
            throw new ReplicationException(SOURCE_SCHEMA_VERSION_MISMATCH,
                    "%s has Hive metastore schema version %s, but Ferry expects %s; upgrade the source metastore to %s with Hive's schema tool (schematool -upgradeSchema) first"
                            .formatted(where, versions.get(0), expectedVersion, expectedVersion));
        }
    }

    static void checkTables(SourceSession session, String database, HmsSchemaScript schema, String schemaVersion)
    {
        // With lower_case_table_names 1 or 2 the server stores or compares table names in lower case, and the
        // metastore works with them in any case.
        String lowerCaseTableNames = session.rows("SELECT @@lower_case_table_names").get(0).get(0);
        Function<String, String> key = "0".equals(lowerCaseTableNames) ? Function.identity() : name -> name.toLowerCase(Locale.ROOT);
        Set<String> present = session.rows("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", database).stream()
                .map(row -> key.apply(row.get(0)))
                .collect(Collectors.toSet());
        List<String> missing = schema.tables().stream().filter(table -> !present.contains(key.apply(table))).toList();
        if (missing.isEmpty()) {
            return;
        }
        throw new ReplicationException(SOURCE_SCHEMA_INCOMPLETE,
                "the source database %s at %s lacks %s of the %s tables of Hive metastore schema %s: %s; restore them from %s (schematool -validate lists what differs)"
                        .formatted(database, session.address(), missing.size(), schema.tables().size(), schemaVersion, String.join(", ", missing),
                                schema.path().getFileName()));
    }
}
