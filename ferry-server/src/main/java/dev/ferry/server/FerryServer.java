package dev.ferry.server;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import dev.ferry.control.ControlPlane;
import dev.ferry.control.Membership;
import dev.ferry.control.ServiceName;
import dev.ferry.control.Views;
import dev.ferry.control.model.ReplicaRecord;
import dev.ferry.control.rest.ConsoleAssets;
import dev.ferry.control.rest.Metrics;
import dev.ferry.control.rest.RestEdge;
import dev.ferry.control.rest.RestServer;
import dev.ferry.control.rest.SystemEndpoints;
import dev.ferry.control.security.SecretBox;
import dev.ferry.control.security.TokenRecovery;
import dev.ferry.control.security.Tokens;
import dev.ferry.control.store.ControlStore;
import dev.ferry.control.store.ReplicaStore;
import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHomes;
import dev.ferry.engine.spi.EngineException;
import dev.ferry.front.Router;
import dev.ferry.front.ThriftFront;
import dev.ferry.front.WriteGate;
import dev.ferry.replication.staging.S3ObjectStores;
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
    private static final Duration STARTUP_LOCK_TIMEOUT = Duration.ofMinutes(10);
    private static final SecureRandom random = new SecureRandom();

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
    private Membership membership;
    private final String replicaId = newReplicaId();
    private Instant startTime = Instant.now();

    private record Step(String name, Runnable stop) {}

    public FerryServer(ServerConfig config)
    {
        this.config = requireNonNull(config, "config is null");
    }

    public void start()
    {
        transition(State.NEW, State.STARTING);
        long begin = System.nanoTime();
        startTime = Instant.now();
        ExplicitGc.stopsTheProcess().ifPresent(log::warn);
        try {
            DataDirectoryLock lock = DataDirectoryLock.acquire(config.dataDirectory());
            started.push(step("data directory lock", lock::close));
            log.info("Data directory {} locked ({})", config.dataDirectory().toAbsolutePath(), lock.file().getFileName());

            ownDatabase = openOwnDatabase();
            started.push(step("own database", ownDatabase::close));

            EngineHomes homes = EngineHomes.around(config.engine().home());
            log.info("Engines: {}", homes.supported());
            ServerEngines engines = new ServerEngines(homes, config, ownDatabase, replicaId);
            this.engines = engines;
            engines.reportSettings();

            ControlConfig control = config.control();
            ServiceName name = ServiceName.parse(control.serviceName());
            SecretBox secrets = SecretBox.load(control.encryptionKey(), Optional.ofNullable(System.getenv(SecretBox.KEY_ENVIRONMENT_VARIABLE)), control.keyFile());
            ControlStore store;
            Tokens tokens;
            try (StartupLock startup = StartupLock.acquire(ownDatabase, replicaId, STARTUP_LOCK_TIMEOUT)) {
                engines.ensureOwnSchema();
                store = ControlStore.open(ownDatabase.jdbcUrl(), ownDatabase.user(), ownDatabase.password(), control.deadAfter());
                started.push(step("control store sessions", store::close));
                ReplicaStore replicas = new ReplicaStore(store);
                ReplicaStore.Claim claim = replicas.claimIdentity(replicaId, name.name(), secrets.keyCheck(), control.deadAfter());
                claim.warnings().forEach(warning -> log.warn("Control store: {}", warning));
                if (claim.refusal().isPresent()) {
                    throw new FerryStartupException(claim.refusal().get());
                }
                membership = Membership.start(store, self(ReplicaRecord.State.STARTING), control.heartbeatInterval(), control.deadAfter());
                started.push(step("replica membership", membership::close));
                engines.dropLeftoverRehearsals(replicas.live(control.deadAfter()).stream().map(ReplicaRecord::id).collect(Collectors.toSet()));
                tokens = new Tokens(store, new TokenRecovery(config.dataDirectory()));
                tokens.bootstrapAdmin(control.adminTokenFile());
            }

            Optional<S3ObjectStores> objectStores = control.objectStore().map(S3ObjectStores::new);
            objectStores.ifPresent(stores -> started.push(step("object store client", stores::close)));
            controlPlane = new ControlPlane(store, secrets, engines, new ControlPlane.Settings(name, this::serviceFacts, control.stagingDirectory().toAbsolutePath(),
                    control.stagingRoots(), Duration.ofMinutes(60), control.startTimeout(),
                    control.retryInterval(), 64L << 20, cutoverPauseForCrashTests(), control.sourceProxy(), replicaId, replicaHome(), control.deadAfter(), control.prepareTimeout(),
                    objectStores.map(stores -> stores::bucket)));
            Engine initial = controlPlane.recover();
            long generation = controlPlane.service().generation();
            Metrics metrics = Metrics.of(controlPlane);
            router = new Router(initial, generation, new WriteGate(config.writeHoldBound()), metrics, membership);
            controlPlane.attach(router);
            membership.follow(controlPlane.follower());
            started.push(step("control plane", controlPlane::close));

            front = ThriftFront.start(config.thrift(), router);
            started.push(step("Thrift front", front::close));

            http = RestServer.start(config.http().host(), config.http().port(),
                    RestEdge.of(controlPlane, tokens, metrics, this::readiness, ConsoleAssets.fromClasspath(FerryServer.class.getClassLoader())), config.http().limits(), config.http().tls());
            started.push(step("HTTP", http::close));

            membership.report(this::localState);
            membership.serving(self(ReplicaRecord.State.SERVING));
            transition(State.STARTING, State.SERVING);
            log.info("Ferry serving HMS clients on thrift://{}:{} from {} (service {} {}; replica {}; started in {} ms)", config.thrift().host(), front.port(),
                    router.activeEngine().name().startsWith("own") ? ownDatabase.describe() : "the migration's source database", name, controlPlane.service().state(),
                    replicaId, (System.nanoTime() - begin) / 1_000_000);
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
        Membership.Health health = membership.health();
        Duration deadAfter = config.control().deadAfter();
        if (!health.reachable(deadAfter)) {
            return new SystemEndpoints.Readiness(false, "cannot reach the control store for %s s: %s".formatted(
                    health.sinceLastBeat().map(Duration::toSeconds).orElse(0L), health.lastError().orElse("no heartbeat answered yet")));
        }
        if (health.stale().isPresent()) {
            return new SystemEndpoints.Readiness(false, health.stale().get());
        }
        String service = health.service().map(record -> "service %s, generation %s".formatted(record.state(), record.generation())).orElse("service not read yet");
        return new SystemEndpoints.Readiness(true, "serving from the %s engine (%s); replica %s of %s live".formatted(router.activeEngine().name(), service, replicaId,
                Math.max(1, health.liveReplicas())));
    }

    /** This process as a replica, as it registers. */
    private ReplicaRecord self(ReplicaRecord.State state)
    {
        Views.ServiceFacts facts = serviceFacts();
        String host = URI.create(facts.endpointUri()).getHost();
        int httpPort = http == null ? config.http().port() : http.port();
        String httpUri = "%s://%s:%s".formatted(config.http().tls().isPresent() ? "https" : "http", host, httpPort);
        Instant now = Instant.now();
        return new ReplicaRecord(replicaId, host, ProcessHandle.current().pid(), facts.endpointUri(), httpUri, FerryMain.version(),
                replicaHome(), startTime, now, state, "", "", "");
    }

    /** {@code machine:path} of the data directory: which replica this is across its restarts. */
    private String replicaHome()
    {
        return machineName() + ":" + config.dataDirectory().toAbsolutePath().normalize();
    }

    /** What this replica reports at each heartbeat. */
    private Membership.Local localState()
    {
        Engine active = router.activeEngine();
        WriteGate.State gate = router.gate().state();
        return new Membership.Local(active.name().startsWith("own") ? "OWN" : "SOURCE", gate == WriteGate.State.OPEN ? "OPEN" : "HOLDING",
                "serving from the %s engine (Hive %s)".formatted(active.name(), active.hiveVersion()));
    }

    /** The machine's own host name (not the advertised one, which replicas behind one name share). */
    private static String machineName()
    {
        try {
            return InetAddress.getLocalHost().getHostName();
        }
        catch (UnknownHostException e) {
            return "localhost";
        }
    }

    private static String newReplicaId()
    {
        byte[] bytes = new byte[6];
        random.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** This process's id as a replica of the service, new at every start. */
    public String replicaId()
    {
        return replicaId;
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
