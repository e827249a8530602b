package dev.ferry.replication.staging;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One committed source transaction: its MariaDB GTID ({@code domain-server-sequence}), where it starts in the
 * binlog, when it committed on the source, and its row changes in order.
 */
public record SourceTransaction(String gtid, String binlogFile, long binlogPosition, long commitMillis, List<RowChange> changes)
{
    public SourceTransaction
    {
        requireNonNull(gtid, "gtid is null");
        requireNonNull(binlogFile, "binlogFile is null");
        changes = List.copyOf(changes);
    }
}
