package dev.ferry.control.model;

/** Service.state of the Dataproc Metastore API; Ferry uses ACTIVE and MIGRATING. */
public enum ServiceState
{
    STATE_UNSPECIFIED,
    CREATING,
    ACTIVE,
    SUSPENDING,
    SUSPENDED,
    UPDATING,
    DELETING,
    ERROR,
    AUTOSCALING,
    MIGRATING,
}
