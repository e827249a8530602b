package dev.ferry.control.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import dev.ferry.control.model.ReplicaRecord;
import dev.ferry.control.model.ServiceRecord;

import static java.util.Objects.requireNonNull;

/**
 * The replicas of the service in the control store: the {@code ferry serve} processes that share it register here
 * when they start, heartbeat while they run and say when they stop. Also keeps what all of them must agree on: the
 * service's name and a check of the encryption key.
 */
public final class ReplicaStore
{
    private static final String COLUMNS = "id, host, pid, endpoint_uri, http_uri, version, data_directory, start_time, last_seen_time, state, backend, gate, detail";

    private final ControlStore store;

    /**
     * What a starting replica learned when it claimed the service's identity.
     *
     * @param warnings for the log: what changed with no other replica live to object
     * @param refusal why the replica must not start, if it must not
     */
    public record Claim(List<String> warnings, Optional<String> refusal)
    {
        public Claim
        {
            warnings = List.copyOf(warnings);
            requireNonNull(refusal, "refusal is null");
        }
    }

    public ReplicaStore(ControlStore store)
    {
        this.store = requireNonNull(store, "store is null");
    }

    /**
     * Checks {@code serviceName} and {@code keyCheck} against those the control store keeps, and keeps them when it
     * has none. A difference refuses the start while another replica is live (it serves another service, or cannot
     * read the passwords this one would seal); with none live, the new values are kept and the change is a warning.
     */
    public Claim claimIdentity(String replicaId, String serviceName, String keyCheck, Duration deadAfter)
    {
        return store.inTransaction(connection -> {
            ControlStore.lockService(connection);
            String storedName;
            String storedKeyCheck;
            try (PreparedStatement select = connection.prepareStatement("SELECT name, key_check FROM service WHERE id = 1");
                    ResultSet rows = select.executeQuery()) {
                rows.next();
                storedName = rows.getString(1);
                storedKeyCheck = rows.getString(2);
            }
            List<ReplicaRecord> others = live(connection, deadAfter).stream().filter(replica -> !replica.id().equals(replicaId)).toList();
            List<String> warnings = new ArrayList<>();
            if (storedName != null && !storedName.equals(serviceName)) {
                if (!others.isEmpty()) {
                    return new Claim(warnings, Optional.of(("this database is the control store of service %s, which %s serve%s now; this replica is configured with "
                            + "service.name %s. Replicas of one service need the same service.name").formatted(storedName, describe(others), others.size() == 1 ? "s" : "", serviceName)));
                }
                warnings.add("the control store was last used by service %s; it is service %s from now on (service.name)".formatted(storedName, serviceName));
            }
            if (storedKeyCheck != null && !storedKeyCheck.equals(keyCheck)) {
                if (!others.isEmpty()) {
                    return new Claim(warnings, Optional.of(("this replica's encryption key differs from the one %s use%s; replicas of one service must share it "
                            + "(security.encryption-key, the environment variable FERRY_ENCRYPTION_KEY or the same key file), because each reads the source passwords "
                            + "another stored").formatted(describe(others), others.size() == 1 ? "s" : "")));
                }
                warnings.add("the encryption key differs from the one this control store was last used with: source passwords stored before with the other key "
                        + "cannot be read (a live migration's replication would stop); restore that key if it was changed by mistake");
            }
            try (PreparedStatement update = connection.prepareStatement("UPDATE service SET name = ?, key_check = ? WHERE id = 1")) {
                update.setString(1, serviceName);
                update.setString(2, keyCheck);
                update.executeUpdate();
            }
            return new Claim(warnings, Optional.empty());
        });
    }

    /**
     * Adds the replica, or replaces an earlier row of the same id. Earlier replicas of the same data directory that
     * are not stopped are marked so: the data directory's lock, which this replica holds, says they are gone.
     */
    public void register(ReplicaRecord replica)
    {
        store.inTransaction(connection -> {
            try (PreparedStatement insert = connection.prepareStatement("""
                    INSERT INTO replica (id, host, pid, endpoint_uri, http_uri, version, data_directory, start_time, last_seen_time, state, backend, gate, detail)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, endpoint_uri = excluded.endpoint_uri, http_uri = excluded.http_uri,
                        version = excluded.version, data_directory = excluded.data_directory, start_time = excluded.start_time, last_seen_time = now(),
                        state = excluded.state, backend = excluded.backend, gate = excluded.gate, detail = excluded.detail""")) {
                insert.setString(1, replica.id());
                insert.setString(2, replica.host());
                insert.setLong(3, replica.pid());
                insert.setString(4, replica.endpointUri());
                insert.setString(5, replica.httpUri());
                insert.setString(6, replica.version());
                insert.setString(7, replica.dataDirectory());
                insert.setTimestamp(8, Timestamp.from(replica.startTime()));
                insert.setString(9, replica.state().name());
                insert.setString(10, replica.backend());
                insert.setString(11, replica.gate());
                insert.setString(12, replica.detail());
                insert.executeUpdate();
            }
            try (PreparedStatement ended = connection.prepareStatement("""
                    UPDATE replica SET state = 'STOPPED', gate = '', detail = ? WHERE data_directory = ? AND id <> ? AND state <> 'STOPPED'""")) {
                ended.setString(1, "ended without a clean stop: replica %s took its data directory".formatted(replica.id()));
                ended.setString(2, replica.dataDirectory());
                ended.setString(3, replica.id());
                ended.executeUpdate();
            }
            return null;
        });
    }

    /** What a heartbeat reads back: the service's record and how many replicas are live (this one included). */
    public record Beat(ServiceRecord service, int liveReplicas, Optional<SwitchBarrier.Barrier> barrier)
    {
        public Beat
        {
            requireNonNull(service, "service is null");
            requireNonNull(barrier, "barrier is null");
        }
    }

    /**
     * A replica's heartbeat, on the connection it keeps for them (not autocommit): its row says it was seen now and
     * what it serves; the service's record, the live replicas' count and the newest switch barrier come back. Returns empty when the replica has
     * no row (deleted as unseen for long): register it again.
     */
    public static Optional<Beat> heartbeat(Connection connection, String replicaId, ReplicaRecord.State state, String backend, String gate, String detail, Duration deadAfter)
            throws SQLException
    {
        try {
            int updated;
            try (PreparedStatement update = connection.prepareStatement(
                    "UPDATE ferry_control.replica SET last_seen_time = now(), state = ?, backend = ?, gate = ?, detail = ? WHERE id = ?")) {
                update.setString(1, state.name());
                update.setString(2, backend);
                update.setString(3, gate);
                update.setString(4, detail);
                update.setString(5, replicaId);
                updated = update.executeUpdate();
            }
            int live;
            try (PreparedStatement count = connection.prepareStatement(
                    "SELECT count(*) FROM ferry_control.replica WHERE state <> 'STOPPED' AND last_seen_time >= now() - make_interval(secs => ?)")) {
                count.setDouble(1, deadAfter.toMillis() / 1000.0);
                try (ResultSet rows = count.executeQuery()) {
                    rows.next();
                    live = rows.getInt(1);
                }
            }
            ServiceRecord service = ControlStore.service(connection);
            Optional<SwitchBarrier.Barrier> barrier = SwitchBarrier.newest(connection);
            connection.commit();
            return updated == 1 ? Optional.of(new Beat(service, live, barrier)) : Optional.empty();
        }
        catch (SQLException | RuntimeException e) {
            try {
                connection.rollback();
            }
            catch (SQLException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Every replica with a row, the newest start first; those not stopped and unseen for {@code deadAfter} as UNREACHABLE. */
    public List<ReplicaRecord> list(Duration deadAfter)
    {
        return store.inTransaction(connection -> select(connection, deadAfter));
    }

    /** The replicas not stopped and seen within {@code deadAfter}. */
    public List<ReplicaRecord> live(Duration deadAfter)
    {
        return store.inTransaction(connection -> live(connection, deadAfter));
    }

    public static List<ReplicaRecord> live(Connection connection, Duration deadAfter)
            throws SQLException
    {
        return select(connection, deadAfter).stream().filter(ReplicaRecord::live).toList();
    }

    /** Marks the replica stopped (a clean stop). */
    public void stopped(String replicaId)
    {
        store.inTransaction(connection -> {
            try (PreparedStatement update = connection.prepareStatement("UPDATE replica SET state = 'STOPPED', gate = '', last_seen_time = now() WHERE id = ?")) {
                update.setString(1, replicaId);
                update.executeUpdate();
            }
            return null;
        });
    }

    /** Deletes the rows of replicas last seen longer than {@code age} ago; returns how many. */
    public int forgetUnseenFor(Duration age)
    {
        return store.inTransaction(connection -> {
            try (PreparedStatement delete = connection.prepareStatement("DELETE FROM replica WHERE last_seen_time < now() - make_interval(secs => ?)")) {
                delete.setDouble(1, age.toMillis() / 1000.0);
                return delete.executeUpdate();
            }
        });
    }

    /** For messages: "replica 3f9c0a1b2c3d on host1 (thrift://host1:9083)", joined. */
    public static String describe(List<ReplicaRecord> replicas)
    {
        return replicas.stream().map(replica -> "replica %s on %s (%s)".formatted(replica.id(), replica.host(), replica.endpointUri())).collect(Collectors.joining(", "));
    }

    private static List<ReplicaRecord> select(Connection connection, Duration deadAfter)
            throws SQLException
    {
        try (PreparedStatement select = connection.prepareStatement("SELECT " + COLUMNS + ", last_seen_time < now() - make_interval(secs => ?) FROM ferry_control.replica "
                + "ORDER BY start_time DESC, id")) {
            select.setDouble(1, deadAfter.toMillis() / 1000.0);
            List<ReplicaRecord> replicas = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    ReplicaRecord.State state = ReplicaRecord.State.valueOf(rows.getString(10));
                    if (state != ReplicaRecord.State.STOPPED && rows.getBoolean(14)) {
                        state = ReplicaRecord.State.UNREACHABLE;
                    }
                    replicas.add(new ReplicaRecord(rows.getString(1), rows.getString(2), rows.getLong(3), rows.getString(4), rows.getString(5), rows.getString(6),
                            rows.getString(7), rows.getTimestamp(8).toInstant(), rows.getTimestamp(9).toInstant(), state, rows.getString(11), rows.getString(12),
                            rows.getString(13)));
                }
            }
            return replicas;
        }
    }
}
