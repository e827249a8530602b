package dev.ferry.upgrade;

import static java.util.Objects.requireNonNull;

/** Why an upgrade of the own database's metastore cannot go on; the message names the table, row or step. */
public class UpgradeException
        extends RuntimeException
{
    public enum Reason
    {
        /** The own database cannot be read or written. */
        OWN_DATABASE_UNAVAILABLE,
        /** Hive's upgrade scripts have no path between the two schema versions. */
        NO_UPGRADE_PATH,
        /** The copy differs from the live metastore where the upgrade should not have changed it. */
        VERIFICATION_FAILED,
        /** The upgrade's state does not allow the step (a programming or ordering error, or a second upgrade). */
        ILLEGAL_STATE,
    }

    private final Reason reason;

    public UpgradeException(Reason reason, String message)
    {
        super(message);
        this.reason = requireNonNull(reason, "reason is null");
    }

    public UpgradeException(Reason reason, String message, Throwable cause)
    {
        super(message, cause);
        this.reason = requireNonNull(reason, "reason is null");
    }

    public Reason reason()
    {
        return reason;
    }
}
