package dev.ferry.replication;

import static java.util.Objects.requireNonNull;

/**
 * A replication failure with a reason the control plane maps to a state and a message the user can act on. The
 * reasons marked "user must fix" put a migration in AWAITING_USER_ACTION.
 */
public class ReplicationException
        extends RuntimeException
{
    public enum Reason
    {
        /** Host unreachable, connection refused or timed out (user must fix). */
        SOURCE_UNREACHABLE,
        /** The source rejected the user name or password (user must fix). */
        SOURCE_ACCESS_DENIED,
        /** The source server's version is one Ferry does not migrate from (user must fix). */
        SOURCE_VERSION_UNSUPPORTED,
        /** The binlog is off (user must fix). */
        SOURCE_BINLOG_OFF,
        /** binlog_format is not ROW (user must fix). */
        SOURCE_BINLOG_FORMAT,
        /** binlog_row_image is not FULL (user must fix). */
        SOURCE_BINLOG_ROW_IMAGE,
        /** MySQL's gtid_mode is in a transitional state (OFF_PERMISSIVE, ON_PERMISSIVE) (user must fix). */
        SOURCE_GTID_MODE,
        /** The CDC user lacks replication privileges, or the reader lacks SELECT (user must fix). */
        SOURCE_PRIVILEGES_MISSING,
        /** The source's metastore schema version differs from the engine's (user must fix). */
        SOURCE_SCHEMA_VERSION_MISMATCH,
        /** Ferry has no engine for the source's metastore schema version (user must fix: upgrade the source first). */
        SOURCE_SCHEMA_VERSION_UNSUPPORTED,
        /** HMS tables are missing in the source database (user must fix). */
        SOURCE_SCHEMA_INCOMPLETE,
        /** The binlog position replication needs has been purged from the source (user must fix). */
        SOURCE_BINLOG_PURGED,
        /** The own database already holds user metadata; a migration would overwrite it. */
        OWN_DATABASE_NOT_EMPTY,
        /** The own database cannot be reached or written. */
        OWN_DATABASE_UNAVAILABLE,
        /** The staging location cannot be written. */
        STAGING_UNAVAILABLE,
        /** Source and own database differ after a drain (verify). */
        VERIFICATION_FAILED,
        /**
         * This process lost the replication lease ({@link WriteFence}): another replica runs the migration now, so
         * this one stops and does not try again (issue 16).
         */
        FENCED,
        /** A bug or an unexpected environment problem, described in the message. */
        INTERNAL;

        /** Whether the user must change something on their side before replication can go on. */
        public boolean userMustFix()
        {
            return switch (this) {
                case SOURCE_UNREACHABLE, SOURCE_ACCESS_DENIED, SOURCE_VERSION_UNSUPPORTED, SOURCE_BINLOG_OFF, SOURCE_BINLOG_FORMAT,
                        SOURCE_BINLOG_ROW_IMAGE, SOURCE_GTID_MODE, SOURCE_PRIVILEGES_MISSING,
                        SOURCE_SCHEMA_VERSION_MISMATCH, SOURCE_SCHEMA_VERSION_UNSUPPORTED, SOURCE_SCHEMA_INCOMPLETE, SOURCE_BINLOG_PURGED, OWN_DATABASE_NOT_EMPTY -> true;
                case OWN_DATABASE_UNAVAILABLE, STAGING_UNAVAILABLE, VERIFICATION_FAILED, FENCED, INTERNAL -> false;
            };
        }

        /**
         * Whether this process may start replication again after the failure (at once, or once the user fixed
         * something): every reason but {@code FENCED}, after which another replica runs the migration.
         */
        public boolean retriable()
        {
            return switch (this) {
                case SOURCE_UNREACHABLE, SOURCE_ACCESS_DENIED, SOURCE_VERSION_UNSUPPORTED, SOURCE_BINLOG_OFF, SOURCE_BINLOG_FORMAT,
                        SOURCE_BINLOG_ROW_IMAGE, SOURCE_GTID_MODE, SOURCE_PRIVILEGES_MISSING, SOURCE_SCHEMA_VERSION_MISMATCH,
                        SOURCE_SCHEMA_VERSION_UNSUPPORTED, SOURCE_SCHEMA_INCOMPLETE, SOURCE_BINLOG_PURGED, OWN_DATABASE_NOT_EMPTY,
                        OWN_DATABASE_UNAVAILABLE, STAGING_UNAVAILABLE, VERIFICATION_FAILED, INTERNAL -> true;
                case FENCED -> false;
            };
        }
    }

    private final Reason reason;

    public ReplicationException(Reason reason, String message)
    {
        super(message);
        this.reason = requireNonNull(reason, "reason is null");
    }

    public ReplicationException(Reason reason, String message, Throwable cause)
    {
        super(message, cause);
        this.reason = requireNonNull(reason, "reason is null");
    }

    public Reason reason()
    {
        return reason;
    }
}
