package dev.ferry.server;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHome;
import dev.ferry.engine.EngineHost;
import dev.ferry.engine.spi.EngineException;
import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.front.Router;
import dev.ferry.front.ThriftFront;
import dev.ferry.front.WriteGate;
import dev.ferry.server.config.ServerConfig;
import dev.ferry.server.http.HealthServer;
import dev.ferry.server.owndb.EmbeddedOwnDatabase;
import dev.ferry.server.owndb.ExternalOwnDatabase;
import dev.ferry.server.owndb.OwnDatabase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * One Ferry process: the data directory lock, the own database, the engine bound to it, the router and gate, the
 * Thrift front and HTTP. Starts in that order and stops in the reverse one; a failed start undoes what it did.
 */
public final class FerryServer
        implements AutoCloseable
{
    public enum State
    {
        NEW,
        STARTING,
        SERVING,
        STOPPING,
        STOPPED,
    }

    private static final Logger log = LoggerFactory.getLogger(FerryServer.class);

    private final ServerConfig config;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final Deque<Step> started = new ArrayDeque<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private OwnDatabase ownDatabase;
    private Router router;
    private ThriftFront front;
    private HealthServer http;

    private record Step(String name, Runnable stop) {}

    public FerryServer(ServerConfig config)
    {
        this.config = requireNonNull(config, "config is null");
    }

    public void start()
    {
        transition(State.NEW, State.STARTING);
        long begin = System.nanoTime();
        try {
            DataDirectoryLock lock = DataDirectoryLock.acquire(config.dataDirectory());
            started.push(step("data directory lock", lock::close));
            log.info("Data directory {} locked ({})", config.dataDirectory().toAbsolutePath(), lock.file().getFileName());

            ownDatabase = openOwnDatabase();
            started.push(step("own database", ownDatabase::close));

            EngineHost host = new EngineHost(EngineHome.of(config.engine().home()));
            EngineSettings settings = new EngineSettings("own", ownDatabase.jdbcUrl(), ownDatabase.user(),
                    ownDatabase.password(), config.warehouseDirectory().toAbsolutePath(),
                    config.engine().backgroundTasks() ? EngineSettings.BackgroundTasks.ON : EngineSettings.BackgroundTasks.OFF,
                    config.engine().notificationLog() ? EngineSettings.NotificationLog.ON : EngineSettings.NotificationLog.OFF, Map.of());
            ensureSchema(host, settings);
            Engine engine = host.start(settings);
            started.push(step("engine " + engine.name(), engine::close));
            // The first call after a start takes a few hundred milliseconds; pay it before clients arrive.
            engine.client().get_all_databases();

            router = new Router(engine, new WriteGate(config.writeHoldBound()));
            front = ThriftFront.start(config.thrift(), router);
            started.push(step("Thrift front", front::close));

            http = HealthServer.start(config.http(), this::readiness);
            started.push(step("HTTP", http::close));

            transition(State.STARTING, State.SERVING);
            log.info("Ferry serving HMS clients on thrift://{}:{} from {} (started in {} ms)", config.thrift().host(),
                    front.port(), ownDatabase.describe(), (System.nanoTime() - begin) / 1_000_000);
        }
        catch (EngineException e) {
            stopStarted();
            throw new FerryStartupException(e.getMessage(), e);
        }
        catch (FerryStartupException e) {
            stopStarted();
            throw e;
        }
        catch (Exception e) {
            stopStarted();
            throw new FerryStartupException(e.getMessage() != null ? e.getMessage() : e.toString(), e);
        }
    }

    private OwnDatabase openOwnDatabase()
    {
        if (config.ownDatabase().embedded()) {
            return EmbeddedOwnDatabase.start(config.dataDirectory().resolve("postgres").toAbsolutePath(), config.ownDatabase().embeddedPort());
        }
        ExternalOwnDatabase external = new ExternalOwnDatabase(config.ownDatabase().url().orElseThrow(),
                config.ownDatabase().user(), config.ownDatabase().password());
        log.info("Own database: {}", external.describe());
        return external;
    }

    private static void ensureSchema(EngineHost host, EngineSettings settings)
    {
        var version = host.databaseSchemaVersion(settings);
        if (version.isEmpty()) {
            log.info("Own database has no metastore schema; initialising it with Hive's schema tool");
            host.initializeSchema(settings);
        }
        else {
            log.info("Own database has metastore schema {}", version.get());
        }
    }

    private HealthServer.Readiness readiness()
    {
        State current = state.get();
        if (current != State.SERVING) {
            return new HealthServer.Readiness(false, "Ferry is " + current);
        }
        return new HealthServer.Readiness(true, "serving from " + router.activeEngine().name() + " engine on " + ownDatabase.describe());
    }

    public State state()
    {
        return state.get();
    }

    public int thriftPort()
    {
        return front.port();
    }

    public int httpPort()
    {
        return http.port();
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitStopped()
            throws InterruptedException
    {
        stopped.await();
    }

    @Override
    public void close()
    {
        State current = state.get();
        if (current == State.STOPPED || current == State.STOPPING || !state.compareAndSet(current, State.STOPPING)) {
            return;
        }
        log.info("Ferry stopping");
        stopStarted();
        state.set(State.STOPPED);
        log.info("Ferry stopped");
        stopped.countDown();
    }

    private void stopStarted()
    {
        while (!started.isEmpty()) {
            Step step = started.pop();
            try {
                step.stop().run();
            }
            catch (RuntimeException e) {
                log.warn("Could not stop {} cleanly: {}", step.name(), e.getMessage());
            }
        }
    }

    private void transition(State expected, State next)
    {
        if (!state.compareAndSet(expected, next)) {
            throw new IllegalStateException("cannot move Ferry from %s to %s: it is %s".formatted(expected, next, state.get()));
        }
        log.debug("Ferry {} -> {}", expected, next);
    }

    private static Step step(String name, Runnable stop)
    {
        return new Step(name, stop);
    }
}
