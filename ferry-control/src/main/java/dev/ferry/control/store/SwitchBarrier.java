package dev.ferry.control.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.ferry.control.model.ReplicaRecord;
import dev.ferry.control.model.ServiceRecord;

import static java.util.Objects.requireNonNull;

/**
 * The control store's side of switching replicas together (V7: {@code switch_barrier}, and each replica's
 * {@code ready_generation} and {@code held_generation}). One barrier row per switch of the service's backend, keyed
 * by the generation the switch records:
 * <ol>
 * <li>PREPARE: the replica that switches (the leader) announces it; the others start an engine on the new backend
 * and set their {@code ready_generation} to it.</li>
 * <li>HOLD: the others hold their writes, wait for the writes in flight, and set their {@code held_generation}.</li>
 * <li>COMMITTED, in the transaction that records the switch: it locks the replica table against new registrations
 * and commits only if every live replica but the leader holds; every replica then switches and releases.</li>
 * <li>ABORTED: the leader gives up, or any replica once the hold's deadline (the control store's clock) has passed;
 * every replica releases its writes on the backend it served.</li>
 * </ol>
 * Exactly one of COMMITTED and ABORTED wins: both move the row from PREPARE or HOLD.
 * Every change is announced on the channel {@value #CHANNEL}, which the replicas' heartbeat connections listen to.
 */
public final class SwitchBarrier
{
    public static final String CHANNEL = "ferry_switch";

    public enum State
    {
        PREPARE,
        HOLD,
        COMMITTED,
        ABORTED;

        public boolean open()
        {
            return this == PREPARE || this == HOLD;
        }
    }

    /**
     * A barrier as read.
     *
     * @param pastDeadline whether the hold's deadline has passed, by the control store's clock
     */
    public record Barrier(long generation, String leader, ServiceRecord.Backend backend, Optional<String> backendExecution, State state, boolean pastDeadline, String detail)
    {
        public Barrier
        {
            requireNonNull(leader, "leader is null");
            requireNonNull(backend, "backend is null");
            requireNonNull(backendExecution, "backendExecution is null");
            requireNonNull(state, "state is null");
            requireNonNull(detail, "detail is null");
        }
    }

    private SwitchBarrier() {}

    /**
     * Announces the switch to {@code backend} as the next generation of the service's record (PREPARE), aborting
     * any barrier left open by a leader that died; returns it. The service row stays locked until the transaction
     * ends, so that two announcements are ordered.
     */
    public static Barrier announce(Connection connection, String leader, ServiceRecord.Backend backend, Optional<String> execution)
            throws SQLException
    {
        ControlStore.lockService(connection);
        long generation = ControlStore.service(connection).generation() + 1;
        abortOpen(connection, "abandoned: replica %s announced generation %s".formatted(leader, generation));
        try (PreparedStatement insert = connection.prepareStatement("""
                INSERT INTO ferry_control.switch_barrier (generation, leader, backend, backend_execution, state) VALUES (?, ?, ?, ?, 'PREPARE')
                ON CONFLICT (generation) DO UPDATE SET leader = excluded.leader, backend = excluded.backend, backend_execution = excluded.backend_execution,
                    state = 'PREPARE', create_time = now(), hold_deadline = NULL, detail = ''""")) {
            insert.setLong(1, generation);
            insert.setString(2, leader);
            insert.setString(3, backend.name());
            insert.setString(4, execution.orElse(null));
            insert.executeUpdate();
        }
        // A switch to this generation announced before and aborted (a cutover retried) left the confirmations of its
        // replicas, which released their writes since: they must confirm this barrier anew. Without this, the retry
        // committed on a replica's stale held_generation while that replica wrote to the old backend (found by
        // ReplicasIT: a cutover killed after its hold, then retried on another replica).
        for (String column : List.of("ready_generation", "held_generation")) {
            try (PreparedStatement reset = connection.prepareStatement("UPDATE ferry_control.replica SET %1$s = 0 WHERE %1$s >= ?".formatted(column))) {
                reset.setLong(1, generation);
                reset.executeUpdate();
            }
        }
        notify(connection, generation);
        return new Barrier(generation, leader, backend, execution, State.PREPARE, false, "");
    }

    /** Moves the barrier to HOLD with a deadline {@code bound} from now; false if it is no longer open. */
    public static boolean hold(Connection connection, long generation, Duration bound)
            throws SQLException
    {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE ferry_control.switch_barrier SET state = 'HOLD', hold_deadline = now() + make_interval(secs => ?) WHERE generation = ? AND state IN ('PREPARE', 'HOLD')")) {
            update.setDouble(1, bound.toMillis() / 1000.0);
            update.setLong(2, generation);
            if (update.executeUpdate() != 1) {
                return false;
            }
        }
        notify(connection, generation);
        return true;
    }

    /**
     * In the transaction that records the switch to {@code generation}: locks the replica table (a replica cannot
     * register until the transaction ends: it then reads the new record when it starts), moves the barrier to
     * COMMITTED, and checks that every live replica but the leader holds its writes for it. Throws, so that the
     * transaction rolls back, when the barrier is not open any more or a live replica does not hold.
     */
    public static void commit(Connection connection, long generation, String leader, Duration deadAfter)
            throws SQLException
    {
        try (Statement lock = connection.createStatement()) {
            lock.execute("LOCK TABLE ferry_control.replica IN SHARE MODE");
        }
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE ferry_control.switch_barrier SET state = 'COMMITTED' WHERE generation = ? AND state IN ('PREPARE', 'HOLD')")) {
            update.setLong(1, generation);
            if (update.executeUpdate() != 1) {
                Optional<Barrier> now = read(connection, generation);
                throw new NotHeld("the switch's barrier (generation %s) is %s%s".formatted(generation, now.map(barrier -> barrier.state().name()).orElse("gone"),
                        now.map(barrier -> barrier.detail().isEmpty() ? "" : ": " + barrier.detail()).orElse("")), List.of());
            }
        }
        List<ReplicaRecord> notHolding = notConfirmed(connection, generation, leader, deadAfter, "held_generation");
        if (!notHolding.isEmpty()) {
            throw new NotHeld("%s did not hold %s writes for the switch".formatted(ReplicaStore.describe(notHolding), notHolding.size() == 1 ? "its" : "their"), notHolding);
        }
        notify(connection, generation);
    }

    /** Aborts the barrier if it is still open; returns whether this call aborted it. */
    public static boolean abort(Connection connection, long generation, String why)
            throws SQLException
    {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE ferry_control.switch_barrier SET state = 'ABORTED', detail = ? WHERE generation = ? AND state IN ('PREPARE', 'HOLD')")) {
            update.setString(1, why);
            update.setLong(2, generation);
            if (update.executeUpdate() != 1) {
                return false;
            }
        }
        notify(connection, generation);
        return true;
    }

    /** Aborts every open barrier (their leader is gone); returns how many. */
    public static int abortOpen(Connection connection, String why)
            throws SQLException
    {
        int aborted;
        try (PreparedStatement abandon = connection.prepareStatement(
                "UPDATE ferry_control.switch_barrier SET state = 'ABORTED', detail = ? WHERE state IN ('PREPARE', 'HOLD')")) {
            abandon.setString(1, why);
            aborted = abandon.executeUpdate();
        }
        if (aborted > 0) {
            notify(connection, 0);
        }
        return aborted;
    }

    /** Aborts the barrier if it is in HOLD past its deadline (any replica may); returns whether this call aborted it. */
    public static boolean abortPastDeadline(Connection connection, long generation, String replica)
            throws SQLException
    {
        try (PreparedStatement update = connection.prepareStatement(
                "UPDATE ferry_control.switch_barrier SET state = 'ABORTED', detail = ? WHERE generation = ? AND state = 'HOLD' AND hold_deadline < now()")) {
            update.setString(1, "the hold's deadline passed before the switch was recorded (aborted by replica %s)".formatted(replica));
            update.setLong(2, generation);
            if (update.executeUpdate() != 1) {
                return false;
            }
        }
        notify(connection, generation);
        return true;
    }

    /** The newest barrier, if any. */
    public static Optional<Barrier> newest(Connection connection)
            throws SQLException
    {
        return select(connection, "ORDER BY generation DESC LIMIT 1", null);
    }

    public static Optional<Barrier> read(Connection connection, long generation)
            throws SQLException
    {
        return select(connection, "WHERE generation = ?", generation);
    }

    /** A replica says it is ready for (an engine on the new backend) or holds its writes for {@code generation}. */
    public static void confirm(Connection connection, String replica, long generation, boolean held)
            throws SQLException
    {
        String column = held ? "held_generation" : "ready_generation";
        try (PreparedStatement update = connection.prepareStatement("UPDATE ferry_control.replica SET " + column + " = ? WHERE id = ?")) {
            update.setLong(1, generation);
            update.setString(2, replica);
            update.executeUpdate();
        }
        notify(connection, generation);
    }

    /** The live replicas but {@code leader} not yet ready for {@code generation}. */
    public static List<ReplicaRecord> notReady(Connection connection, long generation, String leader, Duration deadAfter)
            throws SQLException
    {
        return notConfirmed(connection, generation, leader, deadAfter, "ready_generation");
    }

    /** The live replicas but {@code leader} not yet holding their writes for {@code generation}. */
    public static List<ReplicaRecord> notHolding(Connection connection, long generation, String leader, Duration deadAfter)
            throws SQLException
    {
        return notConfirmed(connection, generation, leader, deadAfter, "held_generation");
    }

    /** Why a switch could not commit: the barrier was no longer open, or live replicas did not hold. */
    public static final class NotHeld
            extends RuntimeException
    {
        private final List<ReplicaRecord> replicas;

        public NotHeld(String message, List<ReplicaRecord> replicas)
        {
            super(message);
            this.replicas = List.copyOf(replicas);
        }

        public List<ReplicaRecord> replicas()
        {
            return replicas;
        }
    }

    private static List<ReplicaRecord> notConfirmed(Connection connection, long generation, String leader, Duration deadAfter, String column)
            throws SQLException
    {
        List<String> ids = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement("SELECT id FROM ferry_control.replica WHERE state <> 'STOPPED' AND last_seen_time >= now() - make_interval(secs => ?) "
                + "AND id <> ? AND " + column + " <> ?")) {
            select.setDouble(1, deadAfter.toMillis() / 1000.0);
            select.setString(2, leader);
            select.setLong(3, generation);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ids.add(rows.getString(1));
                }
            }
        }
        if (ids.isEmpty()) {
            return List.of();
        }
        return ReplicaStore.live(connection, deadAfter).stream().filter(replica -> ids.contains(replica.id())).toList();
    }

    private static Optional<Barrier> select(Connection connection, String where, Long generation)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement("SELECT generation, leader, backend, backend_execution, state, coalesce(hold_deadline < now(), false), detail "
                + "FROM ferry_control.switch_barrier " + where)) {
            if (generation != null) {
                select.setLong(1, generation);
            }
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Barrier(rows.getLong(1), rows.getString(2), ServiceRecord.Backend.valueOf(rows.getString(3)), Optional.ofNullable(rows.getString(4)),
                        State.valueOf(rows.getString(5)), rows.getBoolean(6), rows.getString(7)));
            }
        }
    }

    private static void notify(Connection connection, long generation)
            throws SQLException
    {
        try (PreparedStatement notify = connection.prepareStatement("SELECT pg_notify(?, ?)")) {
            notify.setString(1, CHANNEL);
            notify.setString(2, String.valueOf(generation));
            notify.executeQuery().close();
        }
    }
}
