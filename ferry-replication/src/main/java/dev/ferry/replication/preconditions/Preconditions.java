package dev.ferry.replication.preconditions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.preconditions.SourceAccount.Role;
import dev.ferry.replication.source.SourceConnections;
import dev.ferry.replication.source.SourceDialect;
import dev.ferry.replication.source.SourcePosition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * What must hold before a migration starts, checked in this order, stopping at the first that fails with a
 * {@link ReplicationException} whose reason and message say what is wrong and how to fix it:
 *
 * <ol>
 *   <li>both source users log in ({@code SOURCE_UNREACHABLE}, {@code SOURCE_ACCESS_DENIED});</li>
 *   <li>the server is a MariaDB or MySQL Ferry migrates from ({@code SOURCE_VERSION_UNSUPPORTED}), not in a
 *   transitional GTID mode ({@code SOURCE_GTID_MODE});</li>
 *   <li>the binlog is on ({@code SOURCE_BINLOG_OFF}), in ROW format ({@code SOURCE_BINLOG_FORMAT}) with FULL row
 *   images ({@code SOURCE_BINLOG_ROW_IMAGE});</li>
 *   <li>each user has the privileges it needs, all missing ones listed ({@code SOURCE_PRIVILEGES_MISSING});</li>
 *   <li>the source's metastore schema version is the expected one ({@code SOURCE_SCHEMA_VERSION_MISMATCH});</li>
 *   <li>every metastore table is in the source database ({@code SOURCE_SCHEMA_INCOMPLETE});</li>
 *   <li>the own database holds a freshly initialised metastore and nothing more ({@code OWN_DATABASE_NOT_EMPTY}).</li>
 * </ol>
 *
 * The checks only read, on the source and on the own database. A binlog purged sooner than a few days draws a
 * warning, not a failure.
 */
public final class Preconditions
{
    private static final Logger log = LoggerFactory.getLogger(Preconditions.class);

    private final HmsSchemaScript schema;
    private final String schemaVersion;
    private final HmsSchemaScript ownSchema;

    private Preconditions(HmsSchemaScript schema, String schemaVersion, HmsSchemaScript ownSchema)
    {
        this.schema = requireNonNull(schema, "schema is null");
        this.schemaVersion = requireNonNull(schemaVersion, "schemaVersion is null");
        this.ownSchema = requireNonNull(ownSchema, "ownSchema is null");
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
        HmsSchemaScript schema = HmsSchemaScript.read(mysqlSchemaScript);
        return new Preconditions(schema, schemaVersion, schema);
    }

    /**
     * Preconditions for a source of one metastore schema version while the own database still holds another
     * (before a migration, Ferry's own database has the schema of its configured Hive version; it takes the
     * source's once the front serves from the source).
     *
     * @param ownMysqlSchemaScript Hive's MySQL schema script of the own database's version, for its table list
     */
    public static Preconditions forSchema(Path mysqlSchemaScript, String schemaVersion, Path ownMysqlSchemaScript)
    {
        requireNonNull(schemaVersion, "schemaVersion is null");
        return new Preconditions(HmsSchemaScript.read(mysqlSchemaScript), schemaVersion, HmsSchemaScript.read(ownMysqlSchemaScript));
    }

    /**
     * The metastore schema version the source's {@code VERSION} table records, read as the reader user; empty when
     * it cannot be read (the source unreachable, the user refused, no VERSION table, no or several rows): the
     * checks then say why.
     */
    public static Optional<String> sourceSchemaVersion(SourceDatabase source)
    {
        requireNonNull(source, "source is null");
        try (SourceSession reader = SourceSession.open(source, new SourceAccount(Role.READER, source.user(), source.password()))) {
            List<String> versions = reader.rows("SELECT SCHEMA_VERSION FROM %s.`VERSION`".formatted(Privileges.quote(source.database())))
                    .stream().map(row -> row.get(0)).toList();
            return versions.size() == 1 ? Optional.ofNullable(versions.get(0)) : Optional.empty();
        }
        catch (ReplicationException e) {
            log.debug("Cannot read the schema version of source {} before the checks: {}", source, e.getMessage());
            return Optional.empty();
        }
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
            SourceDialect dialect = reader.dialect();
            Optional<SourceDialect.Unsupported> unsupported = dialect.unsupported();
            if (unsupported.isPresent()) {
                throw new ReplicationException(switch (unsupported.get().reason()) {
                    case VERSION -> ReplicationException.Reason.SOURCE_VERSION_UNSUPPORTED;
                    case GTID_MODE -> ReplicationException.Reason.SOURCE_GTID_MODE;
                }, "cannot migrate from the source database at %s: %s".formatted(reader.address(), unsupported.get().message()));
            }

            SourceConnections.checkBinlogTlsThroughProxy(source);
            BinlogSettings.check(cdc);
            Privileges.check(dialect, source.database(), schema.tables(), sessions);
            SourceSchema.checkVersion(reader, source.database(), schemaVersion);
            SourceSchema.checkTables(reader, source.database(), schema, schemaVersion);
            OwnDatabaseContents.checkFresh(own, ownSchema);

            List<String> warnings = new ArrayList<>(dialect.warnings());
            BinlogSettings.retentionWarning(cdc, dialect, source.database()).ifPresent(warnings::add);
            SourceFacts facts = new SourceFacts(dialect, binlogPosition(dialect, cdc), warnings);
            warnings.forEach(warning -> log.warn("Source {}: {}", source, warning));
            log.info("Preconditions hold for source {} ({}) and own database {} in {} ms", source, dialect.describe(),
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

    private static SourcePosition binlogPosition(SourceDialect dialect, SourceSession session)
    {
        return session.position(dialect);
    }
}
