package dev.ferry.front;

/** What an HMS Thrift method does to the metastore database, which decides whether the gate holds it. */
public enum MethodClass
{
    /** Reads metadata: databases, tables, partitions, statistics, constraints, privileges, notifications. */
    READ(false),
    /** Changes metadata. */
    WRITE(true),
    /** Reads transaction, lock and compaction state. */
    TRANSACTION_READ(false),
    /** Opens, commits or aborts transactions, allocates write ids, takes, checks or releases locks, heartbeats,
     * and queues or claims compactions: all write the database. */
    TRANSACTION_WRITE(true),
    /** Service and session calls that touch no metastore data: fb303 status, set_ugi, get/setMetaConf, name checks. */
    ADMIN(false);

    private final boolean writes;

    MethodClass(boolean writes)
    {
        this.writes = writes;
    }

    /** Whether the method writes the metastore database, and so is held while writes are held. */
    public boolean writes()
    {
        return writes;
    }
}
