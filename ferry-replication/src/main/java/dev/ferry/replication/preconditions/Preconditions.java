package dev.ferry.replication.preconditions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.preconditions.SourceAccount.Role;
import dev.ferry.replication.preconditions.SourceFacts.BinlogPosition;
import dev.ferry.replication.preconditions.SourceFacts.Flavor;
import dev.ferry.replication.preconditions.SourceFacts.GtidMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * What must hold before a migration starts, checked in this order, stopping at the first that fails with a
 * {@link ReplicationException} whose reason and message say what is wrong and how to fix it:
 *
 * <ol>
 *   <li>both source users log in ({@code SOURCE_UNREACHABLE}, {@code SOURCE_ACCESS_DENIED});</li>
 *   <li>the binlog is on, in ROW format with FULL row images ({@code SOURCE_BINLOG_NOT_READY});</li>
 *   <li>each user has the privileges it needs, all missing ones listed ({@code SOURCE_PRIVILEGES_MISSING});</li>
 *   <li>the source's metastore schema version is the expected one ({@code SOURCE_SCHEMA_VERSION_MISMATCH});</li>
 *   <li>every metastore table is in the source database ({@code SOURCE_SCHEMA_INCOMPLETE});</li>
 *   <li>the own database holds a freshly initialised metastore and nothing more ({@code OWN_DATABASE_NOT_EMPTY}).</li>
 * </ol>
 *
 * The checks only read, on the source and on the own database.
 */
public final class Preconditions
{
    private static final Logger log = LoggerFactory.getLogger(Preconditions.class);

    private final HmsSchemaScript schema;
    private final String schemaVersion;

    private Preconditions(HmsSchemaScript schema, String schemaVersion)
    {
        this.schema = requireNonNull(schema, "schema is null");
        this.schemaVersion = requireNonNull(schemaVersion, "schemaVersion is null");
    }

    /**
     * Preconditions for a source of one metastore schema version.
     *
     * @param mysqlSchemaScript Hive's MySQL schema script of that version ({@code hive-schema-4.0.0.mysql.sql}),
     *     from which the list of metastore tables is read
     * @param schemaVersion the version the source's VERSION table must record, such as {@code 4.0.0}
     */
    public static Preconditions forSchema(Path mysqlSchemaScript, String schemaVersion)
    {
        requireNonNull(schemaVersion, "schemaVersion is null");
        return new Preconditions(HmsSchemaScript.read(mysqlSchemaScript), schemaVersion);
    }

    /** The metastore tables every source must have, in the order of the schema script. */
    List<String> tables()
    {
        return schema.tables();
    }

    /** Runs every check; the facts about the source when they all pass. */
    public SourceFacts check(SourceDatabase source, OwnDatabaseTarget own)
    {
        requireNonNull(source, "source is null");
        requireNonNull(own, "own is null");
        long started = System.nanoTime();
        List<SourceSession> sessions = new ArrayList<>();
        try {
            SourceSession reader;
            SourceSession cdc;
            if (source.user().equals(source.cdcUser()) && source.password().equals(source.cdcPassword())) {
                reader = open(sessions, source, new SourceAccount(Role.READER_AND_CDC, source.user(), source.password()));
                cdc = reader;
            }
            else {
                reader = open(sessions, source, new SourceAccount(Role.READER, source.user(), source.password()));
                cdc = open(sessions, source, new SourceAccount(Role.CDC, source.cdcUser(), source.cdcPassword()));
            }
            ServerVersion server = ServerVersion.parse(reader.rows("SELECT VERSION()").get(0).get(0));

            BinlogSettings.check(cdc);
            Privileges.check(server, source.database(), schema.tables(), sessions);
            SourceSchema.checkVersion(reader, source.database(), schemaVersion);
            SourceSchema.checkTables(reader, source.database(), schema, schemaVersion);
            OwnDatabaseContents.checkFresh(own, schema);

            SourceFacts facts = new SourceFacts(server.flavor(), server.text(), gtidMode(server, cdc), binlogPosition(server, cdc));
            log.info("Preconditions hold for source {} ({}) and own database {} in {} ms", source, server.text(),
                    OwnDatabaseContents.displayUrl(own), (System.nanoTime() - started) / 1_000_000);
            return facts;
        }
        catch (ReplicationException e) {
            log.warn("Preconditions failed for source {}: {} {}", source, e.reason(), e.getMessage());
            throw e;
        }
        finally {
            sessions.forEach(SourceSession::close);
        }
    }

    private static SourceSession open(List<SourceSession> sessions, SourceDatabase source, SourceAccount account)
    {
        SourceSession session = SourceSession.open(source, account);
        sessions.add(session);
        return session;
    }

    private static GtidMode gtidMode(ServerVersion server, SourceSession session)
    {
        // MariaDB writes a GTID for every transaction; MySQL only with gtid_mode=ON.
        if (server.flavor() == Flavor.MARIADB) {
            return GtidMode.ON;
        }
        return "ON".equalsIgnoreCase(session.rows("SELECT @@GLOBAL.gtid_mode").get(0).get(0)) ? GtidMode.ON : GtidMode.OFF;
    }

    private static BinlogPosition binlogPosition(ServerVersion server, SourceSession session)
    {
        List<List<String>> status = session.rows(server.binlogStatusStatement());
        if (status.isEmpty()) {
            throw new ReplicationException(ReplicationException.Reason.SOURCE_BINLOG_NOT_READY,
                    "%s returned nothing on the source database at %s; the binlog is off".formatted(server.binlogStatusStatement(), session.address()));
        }
        return new BinlogPosition(status.get(0).get(0), Long.parseLong(status.get(0).get(1)));
    }
}
