package dev.ferry.control.model;

/** MigrationExecution.phase. */
public enum Phase
{
    PHASE_UNSPECIFIED,
    REPLICATION,
    CUTOVER,
}
