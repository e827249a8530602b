package dev.ferry.control.model;

/** MigrationExecution.state. */
public enum ExecutionState
{
    STATE_UNSPECIFIED,
    STARTING,
    RUNNING,
    CANCELLING,
    AWAITING_USER_ACTION,
    SUCCEEDED,
    FAILED,
    CANCELLED,
    DELETING;

    /** Whether the execution has ended: only terminal executions may be deleted, and only one may be live. */
    public boolean terminal()
    {
        return switch (this) {
            case SUCCEEDED, FAILED, CANCELLED -> true;
            case STATE_UNSPECIFIED, STARTING, RUNNING, CANCELLING, AWAITING_USER_ACTION, DELETING -> false;
        };
    }
}
