package dev.ferry.control;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import dev.ferry.control.model.HiveVersionUpgrade;
import dev.ferry.control.model.MigrationExecution;
import dev.ferry.control.model.Operation;
import dev.ferry.control.model.ServiceRecord;
import dev.ferry.control.model.ServiceState;
import dev.ferry.control.model.Verb;
import dev.ferry.control.store.ControlStore;
import dev.ferry.engine.Engine;
import dev.ferry.front.Router;
import dev.ferry.front.WriteGate;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.schema.HiveSchemaScripts;
import dev.ferry.upgrade.MetastoreUpgrade;
import dev.ferry.upgrade.PostgresDatabase;
import dev.ferry.upgrade.Replay;
import dev.ferry.upgrade.UpgradeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static dev.ferry.control.model.HiveVersionUpgrade.State.FAILED;
import static dev.ferry.control.model.HiveVersionUpgrade.State.RUNNING;
import static dev.ferry.control.model.HiveVersionUpgrade.State.SUCCEEDED;
import static dev.ferry.control.model.HiveVersionUpgrade.State.SWITCHED;
import static java.util.Objects.requireNonNull;

/**
 * upgradeHiveVersion (docs/API.md, docs/DESIGN.md "Upgrading the Hive version"): the own database's metastore is
 * copied and the copy upgraded with Hive's scripts while the older engine serves, changes are replayed and the copy
 * verified; then, writes held, the last changes are replayed, the front moves to an engine of the newer Hive on the
 * copy and the copy takes the live tables' place in one transaction that also records the switch. A failure before
 * that transaction leaves the live metastore as it was; after it, only forward. Runs on the control plane's worker
 * thread; {@link #settleInterrupted()} runs at start-up, before the front's engine starts.
 */
final class HiveVersionUpgrades
{
    private static final Logger log = LoggerFactory.getLogger(HiveVersionUpgrades.class);

    /** Passes of replay while writes flow, at most, before the verify; fewer when a pass finds little. */
    private static final int CATCH_UP_PASSES = 3;
    private static final long FEW_CHANGES = 100;
    /** How long each try to hold writes waits for a moment with no write in flight, and how many tries. */
    private static final Duration HOLD_PATIENCE = Duration.ofMillis(250);
    private static final int HOLD_ATTEMPTS = 8;

    private final ControlStore store;
    private final Engines engines;
    private final ServiceName name;
    private final Optional<ControlPlane.CutoverStep> pauseAt;
    private final Supplier<Views.ServiceFacts> facts;
    private final Operations operations;
    private final Supplier<Router> router;
    private final BooleanSupplier closed;
    private final ControlPlane.Settings settings;

    HiveVersionUpgrades(ControlStore store, Engines engines, ControlPlane.Settings settings, Operations operations, Supplier<Router> router, BooleanSupplier closed)
    {
        this.store = requireNonNull(store, "store is null");
        this.engines = requireNonNull(engines, "engines is null");
        this.settings = settings;
        this.name = settings.name();
        this.pauseAt = settings.pauseAt();
        this.facts = settings.facts();
        this.operations = requireNonNull(operations, "operations is null");
        this.router = requireNonNull(router, "router is null");
        this.closed = requireNonNull(closed, "closed is null");
    }

    /**
     * The intake: refuses what cannot be upgraded, else writes the upgrade RUNNING, the service UPDATING and the
     * operation, in one transaction. Returns the upgrade's id with the operation.
     */
    ControlPlane.Accepted accept(Optional<UUID> requestId, String hiveVersion)
    {
        String toSchema = engines.schemaVersionOfHive(hiveVersion).orElseThrow(() -> ControlException.invalid("hiveVersion",
                "Ferry has no engine for Hive %s; it runs %s".formatted(hiveVersion, engines.supportedSchemaVersions())));
        String toHive = engines.hiveVersion(toSchema);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        return store.inTransaction(connection -> {
            Optional<ControlPlane.Accepted> repeated = operations.repeated(connection, requestId, "upgradeHiveVersion");
            if (repeated.isPresent()) {
                return repeated.get();
            }
            ControlPlane.refuseWithOtherReplicas(connection, settings, "upgradeHiveVersion");
            Optional<MigrationExecution> live = ControlStore.liveExecution(connection);
            if (live.isPresent()) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "migration execution %s is %s; upgrade the Hive version once it is complete or cancelled"
                        .formatted(name.executionName(live.get().id()), live.get().state()));
            }
            Optional<HiveVersionUpgrade> under = ControlStore.liveUpgrade(connection);
            if (under.isPresent()) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "an upgrade of service %s to Hive %s is under way".formatted(name, under.get().toHiveVersion()));
            }
            ServiceRecord service = ControlStore.service(connection);
            if (service.state() != ServiceState.ACTIVE || service.backend() != ServiceRecord.Backend.OWN) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "service %s is %s; the Hive version is upgraded only from ACTIVE".formatted(name, service.state()));
            }
            String fromSchema = engines.ownSchemaVersion();
            String fromHive = engines.supportsSchemaVersion(fromSchema) ? engines.hiveVersion(fromSchema) : fromSchema;
            List<String> versions = engines.schemaVersions();
            String newest = versions.get(versions.size() - 1);
            if (HiveSchemaScripts.compareVersions(fromSchema, newest) >= 0) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "service %s already runs Hive %s (metastore schema %s), the newest version Ferry runs; there is nothing to upgrade to"
                        .formatted(name, fromHive, fromSchema));
            }
            if (HiveSchemaScripts.compareVersions(toSchema, fromSchema) <= 0) {
                throw new ControlException(ErrorCode.FAILED_PRECONDITION, "Hive %s (metastore schema %s) is not newer than the Hive %s (schema %s) service %s runs; an upgrade goes to a newer version only"
                        .formatted(toHive, toSchema, fromHive, fromSchema, name));
            }
            String id = UUID.randomUUID().toString();
            ControlStore.insertUpgrade(connection, new HiveVersionUpgrade(id, now, Optional.empty(), RUNNING, "", fromSchema, toSchema, toHive, Optional.empty()));
            ControlStore.updateServiceState(connection, ServiceState.UPDATING, "upgrading from Hive %s to Hive %s".formatted(fromHive, toHive));
            Operation operation = Operations.newOperation(now, name.name(), Verb.UPGRADE, id, "upgrading to Hive " + toHive);
            ControlStore.insertOperation(connection, operation);
            if (requestId.isPresent()) {
                ControlStore.recordRequest(connection, requestId.get(), "upgradeHiveVersion", operation.id());
            }
            return new ControlPlane.Accepted(new ControlStore.StoredOperation(operation, Optional.empty()), false);
        });
    }

    /** Why an upgrade stopped before its switch: the message for the user, with the code. */
    private static final class UpgradeAborted
            extends RuntimeException
    {
        private final ErrorCode code;

        UpgradeAborted(ErrorCode code, String message)
        {
            super(message);
            this.code = code;
        }
    }

    /** The upgrade, start to end; see the class comment. */
    void run(String id, String operationId)
    {
        if (closed.getAsBoolean()) {
            return;
        }
        HiveVersionUpgrade upgrade = store.upgrade(id).orElseThrow();
        if (upgrade.state() != RUNNING) {
            operations.finishOperation(operationId, Optional.empty(), Optional.of(Operations.error(ErrorCode.ABORTED, "upgrade %s is %s".formatted(id, upgrade.state()))), "aborted");
            return;
        }
        MetastoreUpgrade metastore = null;
        Engine next = null;
        Engine previous = null;
        boolean held = false;
        boolean switched = false;
        WriteGate gate = router.get().gate();
        try {
            operations.progress(operationId, "copying the metastore and upgrading the copy with Hive's scripts");
            long began = System.nanoTime();
            metastore = MetastoreUpgrade.prepare(id, ownDatabase(), engines.upgradeScripts(upgrade.toSchemaVersion()), upgrade.fromSchemaVersion(),
                    upgrade.toSchemaVersion(), engines.ownSchemaTool());
            long prepared = System.nanoTime();
            operations.progress(operationId, "replaying what changed meanwhile into the upgraded copy and verifying it");
            for (int pass = 1; pass <= CATCH_UP_PASSES; pass++) {
                Replay.Pass caughtUp = metastore.catchUp();
                if (caughtUp.changes() < FEW_CHANGES) {
                    break;
                }
            }
            metastore.verify();
            long verified = System.nanoTime();
            operations.progress(operationId, "starting and warming an engine of Hive %s on the upgraded copy".formatted(upgrade.toHiveVersion()));
            next = engines.startOwn(upgrade.toSchemaVersion(), metastore.copySearchPath());
            metastore.catchUp();
            long started = System.nanoTime();

            operations.progress(operationId, "holding writes");
            // What is replayed under the hold is what changed since the last pass: a pass comes right before each
            // try to hold at a moment with no write in flight, and right before holding anyway.
            boolean idle = false;
            for (int attempt = 1; !idle && attempt <= HOLD_ATTEMPTS; attempt++) {
                metastore.catchUp();
                idle = gate.holdWritesIfIdleWithin(HOLD_PATIENCE);
            }
            if (!idle) {
                metastore.catchUp();
                gate.holdWrites();
            }
            held = true;
            long heldAt = System.nanoTime();
            Optional<String> late = Cutover.awaitWritesInFlight(gate);
            if (late.isPresent()) {
                throw new UpgradeAborted(ErrorCode.ABORTED, late.get());
            }
            long drained = System.nanoTime();
            MetastoreUpgrade.Finish finish = metastore.finish();
            long finished = System.nanoTime();
            previous = router.get().switchTo(next);
            // Reads in flight on the old engine would hold locks the switch waits for.
            if (!previous.awaitIdle(gate.holdBound().dividedBy(4))) {
                throw new UpgradeAborted(ErrorCode.ABORTED, "reads in flight on the engine of Hive %s did not finish within %s ms".formatted(previous.hiveVersion(),
                        gate.holdBound().dividedBy(4).toMillis()));
            }
            long idled = System.nanoTime();
            String switchedMessage = "switched to Hive %s; the tables of schema %s are kept in schema %s".formatted(upgrade.toHiveVersion(), upgrade.fromSchemaVersion(),
                    "ferry_hive_" + upgrade.fromSchemaVersion().replaceAll("[^0-9A-Za-z]", "_"));
            reached(ControlPlane.CutoverStep.UPGRADE_BEFORE_SWITCH);
            metastore.switchOver(connection -> {
                connection.setSchema(ControlStore.SCHEMA);
                if (!ControlStore.transitionUpgrade(connection, id, Set.of(RUNNING), SWITCHED, switchedMessage)) {
                    throw new java.sql.SQLException("upgrade %s is no longer RUNNING in the control store".formatted(id));
                }
            });
            switched = true;
            long switchedAt = System.nanoTime();
            reached(ControlPlane.CutoverStep.UPGRADE_AFTER_SWITCH);
            WriteGate.Hold hold = gate.release();
            held = false;
            long pause = hold.writePause().toMillis();
            log.info("Hive version upgrade {}: steps: prepare (copy, Hive's scripts) {} ms, catch up and verify {} ms, engine {} ms; under the hold: writes in flight {} ms, finish {} ms ({} changes: replay {} ms, check {} ms, generators {} ms), old engine idle {} ms, switch {} ms",
                    id, millis(began, prepared), millis(prepared, verified), millis(verified, started), millis(heldAt, drained), millis(drained, finished), finish.changes(),
                    finish.replayMillis(), finish.checkMillis(), finish.generatorsMillis(), millis(finished, idled), millis(idled, switchedAt));
            log.info("Hive version upgrade {}: the front serves Hive {} from the upgraded metastore now; write pause {} ms ({} writes held; gate closed {} ms)", id,
                    upgrade.toHiveVersion(), pause, hold.writesHeld(), hold.closed().toMillis());
            succeed(id, operationId, Optional.of(pause), previous, metastore);
        }
        catch (InterruptedException e) {
            // Ferry is stopping: what is in the databases stays as it is, and the next start settles it.
            Thread.currentThread().interrupt();
            // Only the engine the front does not use is closed here; the control plane closes the other.
            if (previous != null) {
                previous.close();
            }
            else if (next != null) {
                next.close();
            }
        }
        catch (RuntimeException e) {
            if (switched) {
                log.error("Hive version upgrade {}: failed after the switch ({}); finishing it", id, e.getMessage());
                if (held) {
                    gate.release();
                }
                succeed(id, operationId, Optional.empty(), previous, metastore);
                return;
            }
            if (previous != null) {
                router.get().switchTo(previous);
            }
            if (held) {
                gate.release();
            }
            if (next != null) {
                next.close();
            }
            if (metastore != null) {
                try {
                    metastore.abort();
                }
                catch (RuntimeException cleanup) {
                    log.error("Hive version upgrade {}: could not remove the copy and the triggers ({}); a restart removes them", id, cleanup.getMessage());
                }
            }
            ErrorCode code = e instanceof UpgradeAborted aborted ? aborted.code
                    : e instanceof UpgradeException failure ? codeOf(failure) : Operations.errorCodeOf(e);
            fail(id, operationId, code, "upgrade to Hive %s stopped before the switch; Hive %s serves the metastore as before: %s"
                    .formatted(upgrade.toHiveVersion(), engines.hiveVersion(upgrade.fromSchemaVersion()), e.getMessage()));
        }
    }

    /** For crash tests: stops here until the process is killed or stopped. */
    private void reached(ControlPlane.CutoverStep step)
            throws InterruptedException
    {
        if (pauseAt.equals(Optional.of(step))) {
            log.warn("Hive version upgrade paused at {} (crash-test setting); it waits here until the process stops", step);
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    private static ErrorCode codeOf(UpgradeException failure)
    {
        return switch (failure.reason()) {
            case OWN_DATABASE_UNAVAILABLE -> ErrorCode.UNAVAILABLE;
            case NO_UPGRADE_PATH, VERIFICATION_FAILED, ILLEGAL_STATE -> ErrorCode.FAILED_PRECONDITION;
        };
    }

    private static long millis(long from, long to)
    {
        return (to - from) / 1_000_000;
    }

    /**
     * At start-up, before an engine starts on the own database: an upgrade a stop or a crash interrupted is rolled
     * back if it had not switched (copy and triggers removed), kept if it had; its operation ends accordingly.
     */
    void settleInterrupted()
    {
        MetastoreUpgrade.Settled settled = MetastoreUpgrade.settle(ownDatabase());
        if (settled != MetastoreUpgrade.Settled.NOTHING) {
            log.info("An upgrade of the own database's metastore was interrupted: {}", settled);
        }
        Optional<HiveVersionUpgrade> live = store.inTransaction(ControlStore::liveUpgrade);
        if (live.isEmpty()) {
            return;
        }
        HiveVersionUpgrade upgrade = live.get();
        Optional<Operation> operation = store.unfinishedOperations().stream()
                .filter(unfinished -> unfinished.verb() == Verb.UPGRADE && unfinished.execution().equals(upgrade.id()))
                .findFirst();
        String operationId = operation.map(Operation::id).orElse(null);
        if (upgrade.state() == SWITCHED) {
            log.info("Hive version upgrade {}: the switch to Hive {} was recorded before the restart; finishing it", upgrade.id(), upgrade.toHiveVersion());
            succeed(upgrade.id(), operationId, Optional.empty(), null, null);
        }
        else {
            fail(upgrade.id(), operationId, ErrorCode.ABORTED, "upgrade to Hive %s interrupted by a restart before the switch and rolled back; Hive %s serves the metastore as before: call upgradeHiveVersion again"
                    .formatted(upgrade.toHiveVersion(), engines.hiveVersion(upgrade.fromSchemaVersion())));
        }
    }

    private void succeed(String id, String operationId, Optional<Long> pauseMillis, Engine previous, MetastoreUpgrade metastore)
    {
        if (previous != null) {
            previous.close();
        }
        if (metastore != null) {
            try {
                metastore.forget();
            }
            catch (RuntimeException e) {
                log.warn("Hive version upgrade {}: could not remove the change log ({}); a restart removes it", id, e.getMessage());
            }
        }
        HiveVersionUpgrade upgrade = store.inTransaction(connection -> {
            if (pauseMillis.isPresent()) {
                ControlStore.recordUpgradeWritePause(connection, id, pauseMillis.get());
            }
            HiveVersionUpgrade current = ControlStore.upgrade(connection, id).orElseThrow();
            ControlStore.transitionUpgrade(connection, id, Set.of(SWITCHED), SUCCEEDED, current.stateMessage());
            ControlStore.updateServiceState(connection, ServiceState.ACTIVE, "");
            return ControlStore.upgrade(connection, id).orElseThrow();
        });
        if (operationId != null) {
            operations.finishOperation(operationId, Optional.of(Views.upgradeResponse(name, store.service(), facts.get(), upgrade).toString()),
                    Optional.empty(), "succeeded");
        }
        log.info("Hive version upgrade {} SUCCEEDED: service {} ACTIVE on Hive {}{}", id, name, upgrade.toHiveVersion(),
                upgrade.writePauseMillis().map(pause -> ", write pause %s ms".formatted(pause)).orElse(""));
    }

    private void fail(String id, String operationId, ErrorCode code, String message)
    {
        log.warn("Hive version upgrade {} FAILED: {}", id, message);
        store.inTransaction(connection -> {
            ControlStore.transitionUpgrade(connection, id, Set.of(RUNNING), FAILED, message);
            ControlStore.updateServiceState(connection, ServiceState.ACTIVE, "");
            if (operationId != null) {
                ControlStore.finishOperation(connection, operationId, Optional.empty(), Optional.of(Operations.error(code, message)), "failed");
            }
            return null;
        });
    }

    private PostgresDatabase ownDatabase()
    {
        OwnDatabaseTarget own = engines.ownDatabase();
        return new PostgresDatabase(own.jdbcUrl(), own.user(), own.password());
    }
}
