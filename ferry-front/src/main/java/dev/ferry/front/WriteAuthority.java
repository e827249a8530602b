package dev.ferry.front;

import java.time.Duration;
import java.util.Optional;

/**
 * Whether this process may acknowledge a write served from the backend of a given generation: with several
 * replicas of one service, only while it has recently confirmed, in the control store, that the service still
 * serves from that generation. A replica cut off from the control store, or one that learned of a switch it did
 * not make, must not acknowledge writes on a backend another replica may have switched away from.
 */
public interface WriteAuthority
{
    /** One process alone: every write is acknowledged. */
    WriteAuthority ALWAYS = new WriteAuthority()
    {
        @Override
        public Optional<String> refusal(long generation)
        {
            return Optional.empty();
        }

        @Override
        public boolean awaitConfirmed(long generation, Duration timeout)
        {
            return true;
        }

        @Override
        public void switched(long generation) {}

        @Override
        public Duration patience()
        {
            return Duration.ZERO;
        }
    };

    /** Why a write on the backend of {@code generation} may not be acknowledged now; empty if it may. */
    Optional<String> refusal(long generation);

    /** Waits up to {@code timeout} until a write on the backend of {@code generation} may be acknowledged. */
    boolean awaitConfirmed(long generation, Duration timeout)
            throws InterruptedException;

    /** This process itself recorded the switch to {@code generation} and now serves from it. */
    void switched(long generation);

    /**
     * How long a write refused because no recent confirmation came waits for the next one before it is refused: a
     * confirmation late by less than this (a slow control store, a stalled process) costs the client latency, not an
     * error. A write refused because the service switched away from its backend does not wait.
     */
    Duration patience();
}
