package dev.ferry.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import dev.ferry.control.ControlPlane;
import dev.ferry.control.ServiceName;
import dev.ferry.control.Views;
import dev.ferry.control.rest.ConsoleAssets;
import dev.ferry.control.rest.Metrics;
import dev.ferry.control.rest.RestEdge;
import dev.ferry.control.rest.RestServer;
import dev.ferry.control.rest.SystemEndpoints;
import dev.ferry.control.security.SecretBox;
import dev.ferry.control.security.TokenRecovery;
import dev.ferry.control.security.Tokens;
import dev.ferry.control.store.ControlStore;
import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHomes;
import dev.ferry.engine.spi.EngineException;
import dev.ferry.front.Router;
import dev.ferry.front.ThriftFront;
import dev.ferry.front.WriteGate;
import dev.ferry.server.config.ServerConfig;
import dev.ferry.server.config.ServerConfig.ControlConfig;
import dev.ferry.server.owndb.EmbeddedOwnDatabase;
import dev.ferry.server.owndb.ExternalOwnDatabase;
import dev.ferry.server.owndb.OwnDatabase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static java.util.Objects.requireNonNull;

/**
 * One Ferry process: the data directory lock, the own database, the control plane (which picks the engine the front
 * serves from, as its control store says), the router and gate, the Thrift front and HTTP. Starts in that order and stops in the reverse one; a failed start undoes what it did.
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
    public static final String CUTOVER_PAUSE_PROPERTY = "ferry.test.cutover-pause-at";

    private final ServerConfig config;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private final Deque<Step> started = new ArrayDeque<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private OwnDatabase ownDatabase;
    private Router router;
    private ThriftFront front;
    private RestServer http;
    private ControlPlane controlPlane;
    private ServerEngines engines;

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

            EngineHomes homes = EngineHomes.around(config.engine().home());
            log.info("Engines: {}", homes.supported());
            ServerEngines engines = new ServerEngines(homes, config, ownDatabase);
            this.engines = engines;
            engines.reportSettings();
            engines.ensureOwnSchema();
            engines.dropLeftoverRehearsals();

            ControlConfig control = config.control();
            ControlStore store = ControlStore.open(ownDatabase.jdbcUrl(), ownDatabase.user(), ownDatabase.password());
            SecretBox secrets = SecretBox.load(control.encryptionKey(), Optional.ofNullable(System.getenv(SecretBox.KEY_ENVIRONMENT_VARIABLE)), control.keyFile());
            Tokens tokens = new Tokens(store, new TokenRecovery(config.dataDirectory()));
            tokens.bootstrapAdmin(control.adminTokenFile());

            ServiceName name = ServiceName.parse(control.serviceName());
            controlPlane = new ControlPlane(store, secrets, engines, new ControlPlane.Settings(name, this::serviceFacts, control.stagingDirectory().toAbsolutePath(),
                    control.stagingRoots(), Duration.ofMinutes(60), control.startTimeout(),
                    control.retryInterval(), 64L << 20, cutoverPauseForCrashTests(), control.sourceProxy()));
            Engine initial = controlPlane.recover();
            Metrics metrics = Metrics.of(controlPlane);
            router = new Router(initial, new WriteGate(config.writeHoldBound()), metrics);
            controlPlane.attach(router);
            started.push(step("control plane", controlPlane::close));

            front = ThriftFront.start(config.thrift(), router);
            started.push(step("Thrift front", front::close));

            http = RestServer.start(config.http().host(), config.http().port(),
                    RestEdge.of(controlPlane, tokens, metrics, this::readiness, ConsoleAssets.fromClasspath(FerryServer.class.getClassLoader())), config.http().limits(), config.http().tls());
            started.push(step("HTTP", http::close));

            transition(State.STARTING, State.SERVING);
            log.info("Ferry serving HMS clients on thrift://{}:{} from {} (service {} {}; started in {} ms)", config.thrift().host(), front.port(),
                    router.activeEngine().name().startsWith("own") ? ownDatabase.describe() : "the migration's source database", name, controlPlane.service().state(),
                    (System.nanoTime() - begin) / 1_000_000);
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

    /** The system property {@value #CUTOVER_PAUSE_PROPERTY}: for crash tests, the cutover step to stop at. */
    private static Optional<ControlPlane.CutoverStep> cutoverPauseForCrashTests()
    {
        String step = System.getProperty(CUTOVER_PAUSE_PROPERTY);
        if (step == null || step.isBlank()) {
            return Optional.empty();
        }
        log.warn("Crash-test setting {}={}: a cutover or upgradeHiveVersion will stop at that step", CUTOVER_PAUSE_PROPERTY, step);
        return Optional.of(ControlPlane.CutoverStep.valueOf(step));
    }

    private Views.ServiceFacts serviceFacts()
    {
        String host = config.control().advertisedHost();
        if (host.isEmpty()) {
            host = config.thrift().host();
            if (host.equals("0.0.0.0") || host.equals("::")) {
                try {
                    host = InetAddress.getLocalHost().getHostName();
                }
                catch (UnknownHostException e) {
                    host = "localhost";
                }
            }
        }
        int port = front == null ? config.thrift().port() : front.port();
        // The Hive version of the engine the front serves from: a migrated metastore keeps its source's.
        String hiveVersion = router == null ? "4.0.1" : router.activeEngine().hiveVersion();
        return new Views.ServiceFacts("thrift://%s:%s".formatted(host, port), port, "POSTGRESQL", hiveVersion);
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

    private SystemEndpoints.Readiness readiness()
    {
        State current = state.get();
        if (current != State.SERVING) {
            return new SystemEndpoints.Readiness(false, "Ferry is " + current);
        }
        return new SystemEndpoints.Readiness(true, "serving from the %s engine (service %s)".formatted(router.activeEngine().name(), controlPlane.service().state()));
    }

    public State state()
    {
        return state.get();
    }

    public int thriftPort()
    {
        return front.port();
    }

    /** The engines this server starts (for tests: an own engine started and warmed as a cutover does). */
    dev.ferry.control.Engines engines()
    {
        return engines;
    }

    /** The own database Ferry runs on; for tests and tools that inspect it. */
    public OwnDatabase ownDatabase()
    {
        return ownDatabase;
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
