package dev.ferry.server;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import dev.ferry.control.Engines;
import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.server.config.ServerConfig;
import dev.ferry.server.owndb.OwnDatabase;
import org.apache.hadoop.hive.metastore.api.GetTableRequest;
import org.apache.hadoop.hive.metastore.api.Table;
import org.apache.thrift.TException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/** The engines of one Ferry process: on the own database, and on a migration's source, all from one engine home. */
final class ServerEngines
        implements Engines
{
    private static final Logger log = LoggerFactory.getLogger(ServerEngines.class);

    private final EngineHost host;
    private final ServerConfig config;
    private final OwnDatabase ownDatabase;
    private final AtomicInteger started = new AtomicInteger();

    ServerEngines(EngineHost host, ServerConfig config, OwnDatabase ownDatabase)
    {
        this.host = requireNonNull(host, "host is null");
        this.config = requireNonNull(config, "config is null");
        this.ownDatabase = requireNonNull(ownDatabase, "ownDatabase is null");
    }

    void ensureOwnSchema()
    {
        EngineSettings settings = settings("own", ownDatabase.jdbcUrl(), ownDatabase.user(), ownDatabase.password());
        var version = host.databaseSchemaVersion(settings);
        if (version.isEmpty()) {
            log.info("Own database has no metastore schema; initialising it with Hive's schema tool");
            host.initializeSchema(settings);
        }
        else {
            log.info("Own database has metastore schema {}", version.get());
        }
    }

    @Override
    public Engine startOwn()
    {
        ensureOwnSchema();
        return warm(host.start(settings(name("own"), ownDatabase.jdbcUrl(), ownDatabase.user(), ownDatabase.password())));
    }

    @Override
    public Engine startSource(SourceDatabase source)
    {
        return warm(host.start(settings(name("source"), source.jdbcUrl(), source.user(), source.password())));
    }

    @Override
    public OwnDatabaseTarget ownDatabase()
    {
        return new OwnDatabaseTarget(ownDatabase.jdbcUrl(), ownDatabase.user(), ownDatabase.password());
    }

    private String name(String kind)
    {
        int number = started.incrementAndGet();
        return number == 1 ? kind : kind + "-" + number;
    }

    private EngineSettings settings(String name, String jdbcUrl, String user, String password)
    {
        return new EngineSettings(name, jdbcUrl, user, password, config.warehouseDirectory().toAbsolutePath(),
                config.engine().backgroundTasks() ? EngineSettings.BackgroundTasks.ON : EngineSettings.BackgroundTasks.OFF,
                config.engine().notificationLog() ? EngineSettings.NotificationLog.ON : EngineSettings.NotificationLog.OFF, Map.of());
    }

    /** Tables looked at, at most, for one with a partition to read when warming an engine. */
    private static final int WARM_TABLES = 20;

    /** The first call after a start takes a few hundred milliseconds; pay it before clients arrive. */
    private static Engine warm(Engine engine)
    {
        try {
            List<String> databases = engine.client().get_all_databases();
            warmReads(engine, databases);
            return engine;
        }
        catch (TException | RuntimeException e) {
            engine.close();
            throw new IllegalStateException("engine %s started but cannot answer: %s".formatted(engine.name(), e.getMessage()), e);
        }
    }

    /**
     * Reads a table and one of its partitions, if the metastore has one: the first such read after a start loads
     * the object-store metadata of tables, partitions and storage descriptors, which the first client calls after
     * a cutover's switch would otherwise wait for. Best effort: a failure here is logged, not fatal.
     */
    private static void warmReads(Engine engine, List<String> databases)
    {
        long started = System.nanoTime();
        int looked = 0;
        try {
            for (String database : databases) {
                for (String name : engine.client().get_all_tables(database)) {
                    if (++looked > WARM_TABLES) {
                        return;
                    }
                    Table table = engine.client().get_table_req(new GetTableRequest(database, name)).getTable();
                    if (table.getPartitionKeysSize() > 0 && !engine.client().get_partitions(database, name, (short) 1).isEmpty()) {
                        log.debug("Engine {} warmed on {}.{} in {} ms", engine.name(), database, name, (System.nanoTime() - started) / 1_000_000);
                        return;
                    }
                }
            }
        }
        catch (TException | RuntimeException e) {
            log.warn("Engine {}: warming it with reads failed ({}); its first calls may be slower", engine.name(), e.getMessage());
        }
    }
}
