package dev.ferry.control.model;

import java.time.Instant;

import static java.util.Objects.requireNonNull;

/**
 * A {@code ferry serve} process of the service, as it registered in the control store and last reported itself.
 *
 * @param id random, new at every start of the process
 * @param endpointUri the Thrift URI HMS clients reach this replica on
 * @param httpUri the control plane's URI on this replica
 * @param dataDirectory {@code machine:path} of its data directory, which one process at a time holds
 * @param lastSeenTime the control store's time of the replica's last heartbeat
 * @param backend what its front serves from, {@code OWN} or {@code SOURCE}; empty while it starts
 * @param gate its write gate, {@code OPEN} or {@code HOLDING}; empty while it starts
 */
public record ReplicaRecord(
        String id,
        String host,
        long pid,
        String endpointUri,
        String httpUri,
        String version,
        String dataDirectory,
        Instant startTime,
        Instant lastSeenTime,
        State state,
        String backend,
        String gate,
        String detail)
{
    public enum State
    {
        STARTING,
        SERVING,
        STOPPING,
        STOPPED,
        /** Not stored: a replica not STOPPED whose last heartbeat is older than {@code replicas.dead-after}. */
        UNREACHABLE,
    }

    public ReplicaRecord
    {
        requireNonNull(id, "id is null");
        requireNonNull(host, "host is null");
        requireNonNull(endpointUri, "endpointUri is null");
        requireNonNull(httpUri, "httpUri is null");
        requireNonNull(version, "version is null");
        requireNonNull(dataDirectory, "dataDirectory is null");
        requireNonNull(startTime, "startTime is null");
        requireNonNull(lastSeenTime, "lastSeenTime is null");
        requireNonNull(state, "state is null");
        requireNonNull(backend, "backend is null");
        requireNonNull(gate, "gate is null");
        requireNonNull(detail, "detail is null");
    }

    /** Whether it counts as a replica serving the service now. */
    public boolean live()
    {
        return state == State.STARTING || state == State.SERVING || state == State.STOPPING;
    }
}
