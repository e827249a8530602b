package dev.ferry.engine.spi;

import static java.util.Objects.requireNonNull;

/**
 * A failure of an engine operation, with a reason callers can act on. Crosses the classloader boundary: engines
 * never let their own exception classes out, since those belong to a classloader that may be closed.
 */
public class EngineException
        extends RuntimeException
{
    public enum Reason
    {
        /** The database cannot be reached with the given URL and credentials. */
        DATABASE_UNREACHABLE,
        /** The database has no metastore schema. */
        SCHEMA_MISSING,
        /** The database's metastore schema version differs from the engine's. */
        SCHEMA_VERSION_MISMATCH,
        /** No engine of this Ferry runs the database's metastore schema version. */
        SCHEMA_VERSION_UNSUPPORTED,
        /** The engine's home (jars, schema scripts) is missing or incomplete. */
        ENGINE_HOME_INVALID,
        /** Anything else: a bug or an environment problem, described in the message. */
        INTERNAL,
    }

    private final Reason reason;

    public EngineException(Reason reason, String message)
    {
        super(message);
        this.reason = requireNonNull(reason, "reason is null");
    }

    public EngineException(Reason reason, String message, Throwable cause)
    {
        super(message, cause);
        this.reason = requireNonNull(reason, "reason is null");
    }

    public Reason reason()
    {
        return reason;
    }
}
