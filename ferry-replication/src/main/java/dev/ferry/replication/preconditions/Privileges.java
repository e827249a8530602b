package dev.ferry.replication.preconditions;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.preconditions.SourceAccount.Role;
import dev.ferry.replication.source.MySqlDialect;
import dev.ferry.replication.source.ServerVersion;
import dev.ferry.replication.source.ServerVersion.Flavor;
import dev.ferry.replication.source.SourceDialect;

import static dev.ferry.replication.ReplicationException.Reason.SOURCE_PRIVILEGES_MISSING;

/**
 * Checks the privileges each source account needs, as the server sees them for a fresh login (with the roles that
 * login activates by default), and lists every missing one.
 *
 * <ul>
 *   <li>Both accounts: SELECT on every metastore table. The reader copies them; the CDC user's connector reads the
 *   table definitions ({@code SHOW CREATE TABLE}), which needs a privilege on each table.</li>
 *   <li>CDC user: REPLICATION SLAVE, to register as a replica and stream the binlog; and the binlog monitor privilege
 *   (BINLOG MONITOR on MariaDB 10.5.2 and later, REPLICATION CLIENT before and on MySQL) for {@code SHOW MASTER
 *   STATUS} and {@code SHOW BINARY LOGS}. Not RELOAD or LOCK TABLES: the connector runs without global locks.</li>
 *   <li>Reader on MySQL: LOCK TABLES on the metastore database (or RELOAD), which a consistent snapshot needs for an
 *   instant (see {@link MySqlDialect}); MariaDB names a snapshot's binlog position without a lock.</li>
 * </ul>
 *
 * SELECT and the binlog monitor privilege are tried with the statements that need them, so the server's own rules
 * decide (roles, ALL PRIVILEGES, wildcards, table grants, PUBLIC). REPLICATION SLAVE cannot be tried without starting
 * a binlog dump, so it is read from {@code SHOW GRANTS}.
 */
final class Privileges
{
    // Error codes of the probes: a privilege the statement needs is missing (1227), SELECT is denied on a table
    // (1142), the table does not exist (1146, reported by the schema check).
    private static final int SPECIFIC_ACCESS_DENIED = 1227;
    private static final int DATABASE_ACCESS_DENIED = 1044;
    private static final int TABLE_ACCESS_DENIED = 1142;
    private static final int NO_SUCH_TABLE = 1146;

    private static final int OPTION_PREVENTS_STATEMENT = 1290;

    private Privileges() {}

    static void check(SourceDialect dialect, String database, List<String> tables, List<SourceSession> sessions)
    {
        ServerVersion server = dialect.version();
        Map<String, List<String>> missingByAccount = new LinkedHashMap<>();
        List<String> grants = new ArrayList<>();
        for (SourceSession session : sessions) {
            String account = currentAccount(session);
            List<String> missing = new ArrayList<>();
            List<String> globalMissing = new ArrayList<>();
            Role role = session.account().role();
            if (role != Role.READER) {
                if (!privilegesUnchecked(session) && !Grants.grantsGlobally(grantsOfActiveRoles(server, session), "REPLICATION SLAVE")) {
                    globalMissing.add("REPLICATION SLAVE");
                }
                Optional<SQLException> monitor = session.attempt("SHOW BINARY LOGS");
                if (monitor.isPresent()) {
                    if (monitor.get().getErrorCode() != SPECIFIC_ACCESS_DENIED) {
                        throw session.failed("SHOW BINARY LOGS", monitor.get());
                    }
                    globalMissing.add(server.binlogMonitorPrivilege());
                }
            }
            missing.addAll(globalMissing);
            boolean lockMissing = role != Role.CDC && dialect instanceof MySqlDialect && !maySnapshotLock(session, database, tables);
            if (lockMissing) {
                missing.add("LOCK TABLES on %s.* (or RELOAD), for the instant a consistent snapshot of a table starts".formatted(quote(database)));
            }
            List<String> unreadable = unreadableTables(session, database, tables);
            if (!unreadable.isEmpty()) {
                missing.add("SELECT on " + describeTables(database, tables, unreadable));
            }
            if (missing.isEmpty()) {
                continue;
            }
            missingByAccount.put("the %s %s".formatted(role.label(), account), missing);
            if (!globalMissing.isEmpty()) {
                grants.add("GRANT %s ON *.* TO %s;".formatted(String.join(", ", globalMissing), account));
            }
            List<String> databasePrivileges = new ArrayList<>();
            if (!unreadable.isEmpty()) {
                databasePrivileges.add("SELECT");
            }
            if (lockMissing) {
                databasePrivileges.add("LOCK TABLES");
            }
            if (!databasePrivileges.isEmpty()) {
                grants.add("GRANT %s ON %s.* TO %s;".formatted(String.join(", ", databasePrivileges), quote(database), account));
            }
        }
        if (missingByAccount.isEmpty()) {
            return;
        }
        String lacks = missingByAccount.entrySet().stream()
                .map(entry -> entry.getKey() + " lacks " + String.join(", ", entry.getValue()))
                .collect(Collectors.joining("; "));
        throw new ReplicationException(SOURCE_PRIVILEGES_MISSING, "missing privileges on the source database at %s: %s; grant them with: %s"
                .formatted(sessions.get(0).address(), lacks, String.join(" ", grants)));
    }

    /**
     * Whether the reader may take the lock a MySQL snapshot needs: LOCK TABLES on the metastore's tables (tried on
     * VERSION, which the metastore writes only when its schema changes), or RELOAD for FLUSH TABLES WITH READ LOCK
     * (read from the grants: trying it would stall every write on the server).
     */
    private static boolean maySnapshotLock(SourceSession session, String database, List<String> tables)
    {
        String table = tables.contains("VERSION") ? "VERSION" : tables.get(0);
        Optional<SQLException> locked = session.attempt("LOCK TABLES %s.%s READ".formatted(quote(database), quote(table)));
        if (locked.isEmpty()) {
            session.attempt("UNLOCK TABLES");
            return true;
        }
        int code = locked.get().getErrorCode();
        if (code == NO_SUCH_TABLE) {
            // Reported by the schema check.
            return true;
        }
        if (code != DATABASE_ACCESS_DENIED && code != TABLE_ACCESS_DENIED) {
            throw session.failed("LOCK TABLES", locked.get());
        }
        return privilegesUnchecked(session) || Grants.grantsGlobally(session.rows("SHOW GRANTS").stream().map(row -> row.get(0)).toList(), "RELOAD");
    }

    /**
     * Whether the server runs with {@code --skip-grant-tables}: it then checks no privilege, so every one is held,
     * and it refuses {@code SHOW GRANTS} with ER_OPTION_PREVENTS_STATEMENT.
     */
    private static boolean privilegesUnchecked(SourceSession session)
    {
        Optional<SQLException> error = session.attempt("SHOW GRANTS");
        return error.isPresent() && error.get().getErrorCode() == OPTION_PREVENTS_STATEMENT;
    }

    /** The account the server matched the login to, such as {@code 'ferry_cdc'@'%'}. */
    private static String currentAccount(SourceSession session)
    {
        String current = session.rows("SELECT CURRENT_USER()").get(0).get(0);
        int at = current.lastIndexOf('@');
        return at < 0 ? "'" + current + "'" : "'%s'@'%s'".formatted(current.substring(0, at), current.substring(at + 1));
    }

    /**
     * The grants of the login and of its active roles. MariaDB's {@code SHOW GRANTS} includes the current role, the
     * roles granted to it and PUBLIC; MySQL's shows role privileges only when the roles are named with USING.
     * MySQL before 8.0 has no roles.
     */
    private static List<String> grantsOfActiveRoles(ServerVersion server, SourceSession session)
    {
        String statement = "SHOW GRANTS";
        if (server.flavor() == Flavor.MYSQL && server.atLeast(8, 0, 0)) {
            String roles = session.rows("SELECT CURRENT_ROLE()").get(0).get(0);
            if (roles != null && !roles.isBlank() && !roles.equalsIgnoreCase("NONE")) {
                statement = "SHOW GRANTS FOR CURRENT_USER() USING " + roles;
            }
        }
        return session.rows(statement).stream().map(row -> row.get(0)).toList();
    }

    /**
     * The metastore tables the session cannot SELECT from: one statement when it can read them all, else one probe
     * per table, which tells a denied table from a missing one. When the session cannot see a single table of the
     * database (information_schema lists only tables a user holds some privilege on) and is denied, it can read
     * none, and the per-table probes, each logged as a warning by the driver, are spared.
     */
    private static List<String> unreadableTables(SourceSession session, String database, List<String> tables)
    {
        String all = tables.stream()
                .map(table -> "SELECT 1 FROM %s.%s WHERE 1 = 0".formatted(quote(database), quote(table)))
                .collect(Collectors.joining(" UNION ALL "));
        Optional<SQLException> allError = session.attempt(all);
        if (allError.isEmpty()) {
            return List.of();
        }
        if (allError.get().getErrorCode() == TABLE_ACCESS_DENIED
                && session.rows("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", database).get(0).get(0).equals("0")) {
            return tables;
        }
        List<String> unreadable = new ArrayList<>();
        for (String table : tables) {
            String probe = "SELECT 1 FROM %s.%s WHERE 1 = 0".formatted(quote(database), quote(table));
            Optional<SQLException> error = session.attempt(probe);
            if (error.isEmpty() || error.get().getErrorCode() == NO_SUCH_TABLE) {
                continue;
            }
            if (error.get().getErrorCode() != TABLE_ACCESS_DENIED) {
                throw session.failed(probe, error.get());
            }
            unreadable.add(table);
        }
        return unreadable;
    }

    private static String describeTables(String database, List<String> tables, List<String> unreadable)
    {
        if (unreadable.size() == tables.size()) {
            return quote(database) + ".*";
        }
        int shown = Math.min(unreadable.size(), 5);
        String listed = unreadable.subList(0, shown).stream()
                .map(table -> quote(database) + "." + quote(table))
                .collect(Collectors.joining(", "));
        return unreadable.size() > shown ? "%s and %s more tables".formatted(listed, unreadable.size() - shown) : listed;
    }

    static String quote(String identifier)
    {
        return "`" + identifier.replace("`", "``") + "`";
    }
}
