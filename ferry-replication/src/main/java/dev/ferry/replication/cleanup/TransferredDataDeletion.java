package dev.ferry.replication.cleanup;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import dev.ferry.replication.JdbcConnections;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.WriteFence;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.SchemaScript;
import dev.ferry.replication.schema.TableMapping;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.ferry.replication.ReplicationException.Reason.OWN_DATABASE_UNAVAILABLE;
import static dev.ferry.replication.ReplicationException.Reason.STAGING_UNAVAILABLE;
import static java.util.Objects.requireNonNull;

/**
 * Deletes what a cancelled migration transferred (invariant 6): the own database goes back to the state Hive's
 * schema tool leaves it in, and the migration's staging directory is removed.
 *
 * <p>In one transaction, every metastore table of the schema mapping is emptied with {@code TRUNCATE ... RESTART
 * IDENTITY}, which also puts the identity sequences of {@code TXNS} and {@code MASTER_KEYS} back to their start,
 * and then the INSERT statements of the same PostgreSQL schema script the schema tool ran are run again, so the
 * seed rows (the {@code hive} catalog, VERSION, the counters, SEQUENCE_TABLE entries, transaction 0) are exactly
 * the ones a fresh initialisation writes. Nothing outside the metastore tables is touched (the control store may
 * live in the same database).
 *
 * <p>What a metastore adds on its first start (the {@code default} database, the {@code admin} and {@code public}
 * roles, the admin's global privilege, the catalog's location) is added again the same way: the caller stops the
 * engine on the own database before deleting and starts it afterwards. The engine must be stopped because
 * emptying the tables waits for every other session's locks, and a running engine keeps DataNucleus id blocks
 * reserved in memory that a reset sequence table would hand out again.
 */
public final class TransferredDataDeletion
{
    private static final Logger log = LoggerFactory.getLogger(TransferredDataDeletion.class);

    private final SchemaMapping mapping;
    private final List<String> seedStatements;
    private final List<String> unmappedTables;
    private final OwnDatabaseTarget own;
    private final Duration lockTimeout;
    private final WriteFence fence;

    /**
     * @param seedStatements the INSERT statements of the PostgreSQL schema script of the own database's version
     * @param unmappedTables tables of that script the mapping leaves out, quoted, emptied with the others
     * @param lockTimeout how long to wait for sessions that still use the metastore tables before giving up
     */
    public TransferredDataDeletion(SchemaMapping mapping, List<String> seedStatements, List<String> unmappedTables, OwnDatabaseTarget own, Duration lockTimeout)
    {
        this(mapping, seedStatements, unmappedTables, own, lockTimeout, WriteFence.NONE);
    }

    /** As above, resetting the own database only while {@code fence} holds (otherwise it rolls back: {@code FENCED}). */
    public TransferredDataDeletion(SchemaMapping mapping, List<String> seedStatements, List<String> unmappedTables, OwnDatabaseTarget own, Duration lockTimeout,
            WriteFence fence)
    {
        this.mapping = requireNonNull(mapping, "mapping is null");
        this.seedStatements = List.copyOf(requireNonNull(seedStatements, "seedStatements is null"));
        this.unmappedTables = List.copyOf(requireNonNull(unmappedTables, "unmappedTables is null"));
        this.own = requireNonNull(own, "own is null");
        this.lockTimeout = requireNonNull(lockTimeout, "lockTimeout is null");
        this.fence = requireNonNull(fence, "fence is null");
        if (lockTimeout.toMillis() < 1) {
            throw new IllegalArgumentException("lockTimeout must be at least 1 ms: " + lockTimeout);
        }
    }

    /** The deletion for Hive's schema scripts in a folder such as {@code scripts/metastore/upgrade}. */
    public static TransferredDataDeletion of(Path upgradeScripts, String schemaVersion, OwnDatabaseTarget own, Duration lockTimeout)
    {
        return of(upgradeScripts, schemaVersion, own, lockTimeout, WriteFence.NONE);
    }

    /** {@link #of(Path, String, OwnDatabaseTarget, Duration)}, behind a write fence. */
    public static TransferredDataDeletion of(Path upgradeScripts, String schemaVersion, OwnDatabaseTarget own, Duration lockTimeout, WriteFence fence)
    {
        SchemaMapping mapping = SchemaMapping.derive(upgradeScripts, schemaVersion);
        SchemaScript postgres = SchemaScript.read(upgradeScripts.resolve("postgres").resolve("hive-schema-%s.postgres.sql".formatted(schemaVersion)));
        // Tables of the PostgreSQL script that the mapping leaves out (schema 2.3.0's COLUMNS_OLD, which no Hive 2.3
        // model writes) are emptied too: COLUMNS_OLD references SDS, which PostgreSQL truncates only together with it.
        List<String> unmapped = postgres.tables().values().stream().filter(table -> !mapping.tables().containsKey(table.name()))
                .map(table -> "\"" + table.storedName() + "\"").toList();
        return new TransferredDataDeletion(mapping, postgres.inserts(), unmapped, own, lockTimeout, fence);
    }

    /** Resets the own database and deletes the staging directory; safe to run again after a failure. */
    public DeletionReport deleteAll(Path stagingDirectory)
    {
        resetOwnDatabase();
        long deleted = deleteStagingDirectory(stagingDirectory);
        DeletionReport report = new DeletionReport(mapping.tables().size(), seedStatements.size(), deleted);
        log.info("Deleted the transferred data of {} and {}: {}", own, stagingDirectory, report);
        return report;
    }

    /** Empties every metastore table of the own database and writes the schema script's seed rows again. */
    public void resetOwnDatabase()
    {
        String tables = java.util.stream.Stream.concat(mapping.tables().values().stream().map(TableMapping::targetIdentifier), unmappedTables.stream())
                .sorted().collect(Collectors.joining(", "));
        try (Connection connection = JdbcConnections.own(own)) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("SET LOCAL lock_timeout = " + lockTimeout.toMillis());
                statement.execute("TRUNCATE " + tables + " RESTART IDENTITY");
                for (String seed : seedStatements) {
                    statement.execute(seed);
                }
                fence.check(connection);
                connection.commit();
            }
            catch (SQLException | RuntimeException e) {
                connection.rollback();
                if (e instanceof SQLException sql && "55P03".equals(sql.getSQLState())) {
                    throw new ReplicationException(OWN_DATABASE_UNAVAILABLE, ("cannot empty the metastore tables of the own database %s: another session still uses them "
                            + "after %s ms (stop the engine on the own database first)").formatted(own.jdbcUrl(), lockTimeout.toMillis()), e);
                }
                throw e;
            }
        }
        catch (SQLException e) {
            throw new ReplicationException(OWN_DATABASE_UNAVAILABLE, "cannot reset the metastore tables of the own database %s: %s".formatted(own.jdbcUrl(), e.getMessage()), e);
        }
    }

    /**
     * Deletes a directory and everything under it; returns how many entries were deleted, 0 when it did not exist.
     * Symbolic links are deleted, never followed, so nothing outside the directory is touched.
     */
    public static long deleteStagingDirectory(Path directory)
    {
        Path absolute = directory.toAbsolutePath().normalize();
        if (absolute.getParent() == null) {
            throw new ReplicationException(STAGING_UNAVAILABLE, "refusing to delete %s as a staging directory: it is a file system root".formatted(absolute));
        }
        if (!Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        long[] deleted = {0};
        try {
            Files.walkFileTree(absolute, new SimpleFileVisitor<>()
            {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes)
                        throws IOException
                {
                    delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path visited, IOException failure)
                        throws IOException
                {
                    if (failure != null) {
                        throw failure;
                    }
                    delete(visited);
                    return FileVisitResult.CONTINUE;
                }

                private void delete(Path path)
                        throws IOException
                {
                    try {
                        Files.delete(path);
                        deleted[0]++;
                    }
                    catch (NoSuchFileException e) {
                        // Gone already: a concurrent or earlier deletion got there first.
                    }
                }
            });
        }
        catch (IOException e) {
            throw new ReplicationException(STAGING_UNAVAILABLE, "cannot delete the staging directory %s: %s".formatted(absolute, e), e);
        }
        return deleted[0];
    }
}
