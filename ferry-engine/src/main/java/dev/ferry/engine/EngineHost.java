package dev.ferry.engine;

import java.io.IOException;
import java.sql.DriverManager;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import dev.ferry.engine.spi.EngineException;
import dev.ferry.engine.spi.EngineRuntime;
import dev.ferry.engine.spi.EngineRuntimeFactory;
import dev.ferry.engine.spi.EngineSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.ferry.engine.spi.EngineException.Reason.ENGINE_HOME_INVALID;
import static java.util.Objects.requireNonNull;

/**
 * Starts engines from one engine home. Every engine, and every one-off schema operation, gets a classloader of its
 * own, closed when it is done, so nothing of one engine's metastore state is seen by another.
 */
public final class EngineHost
{
    private static final Logger log = LoggerFactory.getLogger(EngineHost.class);
    private static final AtomicInteger loaderSequence = new AtomicInteger();

    static {
        // DriverManager loads the drivers it finds with the context classloader the first time it is used; make
        // that Ferry's own classloader, not an engine's, or the JVM-wide driver list would pin an engine.
        DriverManager.getDrivers();
    }

    private final EngineHome home;

    public EngineHost(EngineHome home)
    {
        this.home = requireNonNull(home, "home is null");
    }

    public EngineHome home()
    {
        return home;
    }

    /** Starts an engine bound to the settings' database; it must have this engine's schema version. */
    public Engine start(EngineSettings settings)
    {
        requireNonNull(settings, "settings is null");
        long started = System.nanoTime();
        ChildFirstClassLoader loader = newLoader(settings.name());
        try {
            EngineRuntimeFactory factory = factory(loader);
            EngineRuntime runtime = withContextLoader(loader, () -> factory.start(settings));
            Engine engine = new Engine(settings, factory.hiveVersion(), loader, runtime);
            log.info("Engine {} started: Hive {} on {} in {} ms", settings.name(), factory.hiveVersion(),
                    settings.jdbcUrl(), (System.nanoTime() - started) / 1_000_000);
            return engine;
        }
        catch (RuntimeException | Error e) {
            closeQuietly(loader);
            throw e;
        }
    }

    /** The schema version the engines of this home expect. */
    public String schemaVersion()
    {
        return home.schemaVersion();
    }

    /** The Hive version of the engines of this home. */
    public String hiveVersion()
    {
        return home.hiveVersion();
    }

    /** The schema version recorded in the database, or empty when it has no metastore schema. */
    public Optional<String> databaseSchemaVersion(EngineSettings settings)
    {
        return withFactory(settings.name(), factory -> factory.databaseSchemaVersion(settings));
    }

    /**
     * Creates the metastore schema in an empty database with Hive's schema tool; in the PostgreSQL schema the URL's
     * {@code currentSchema} names, if it names one (see {@link SchemaScriptsHome}).
     */
    public void initializeSchema(EngineSettings settings)
    {
        long started = System.nanoTime();
        if (SchemaScriptsHome.namesSchema(settings.jdbcUrl())) {
            try (SchemaScriptsHome scripts = SchemaScriptsHome.of(home)) {
                withFactory(settings.name() + "-schema-tool", factory -> {
                    factory.initializeSchema(settings, scripts.path());
                    return null;
                });
            }
        }
        else {
            withFactory(settings.name() + "-schema-tool", factory -> {
                factory.initializeSchema(settings, home.path());
                return null;
            });
        }
        log.info("Initialised the metastore schema of {} in {} ms", settings.jdbcUrl(), (System.nanoTime() - started) / 1_000_000);
    }

    /** The keys of settings passed through to engines that this home's Hive and Hadoop do not know. */
    public List<EngineRuntimeFactory.UnknownSetting> unknownSettings(Set<String> keys)
    {
        return withFactory("settings-check", factory -> factory.unknownSettings(Set.copyOf(keys)));
    }

    /**
     * Upgrades a database's metastore schema from an older version to this engine's with Hive's schema tool and the
     * upgrade scripts of this engine home.
     */
    public void upgradeSchema(EngineSettings settings, String fromVersion)
    {
        long started = System.nanoTime();
        withFactory(settings.name() + "-schema-tool", factory -> {
            factory.upgradeSchema(settings, home.path(), fromVersion);
            return null;
        });
        log.info("Upgraded the metastore schema of {} from {} to {} in {} ms", settings.jdbcUrl(), fromVersion, schemaVersion(), (System.nanoTime() - started) / 1_000_000);
    }

    private <T> T withFactory(String name, Function<EngineRuntimeFactory, T> action)
    {
        ChildFirstClassLoader loader = newLoader(name);
        try {
            EngineRuntimeFactory factory = factory(loader);
            return withContextLoader(loader, () -> action.apply(factory));
        }
        finally {
            closeQuietly(loader);
        }
    }

    private ChildFirstClassLoader newLoader(String name)
    {
        return new ChildFirstClassLoader("engine-" + name + "-" + loaderSequence.incrementAndGet(), home.jarUrls(),
                EngineHost.class.getClassLoader(), home.thriftApi());
    }

    private EngineRuntimeFactory factory(ClassLoader loader)
    {
        Iterator<EngineRuntimeFactory> factories = ServiceLoader.load(EngineRuntimeFactory.class, loader).iterator();
        while (factories.hasNext()) {
            EngineRuntimeFactory factory = factories.next();
            if (factory.getClass().getClassLoader() == loader) {
                return factory;
            }
        }
        throw new EngineException(ENGINE_HOME_INVALID,
                "engine home %s has no %s in lib/".formatted(home.path(), EngineRuntimeFactory.class.getName()));
    }

    static <T> T withContextLoader(ClassLoader loader, java.util.function.Supplier<T> action)
    {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            return action.get();
        }
        finally {
            thread.setContextClassLoader(previous);
        }
    }

    static void closeQuietly(ChildFirstClassLoader loader)
    {
        try {
            loader.close();
        }
        catch (IOException e) {
            log.warn("Could not close classloader {}", loader.getName(), e);
        }
    }
}
