package dev.ferry.replication.apply;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.ferry.replication.ReplicationStore;
import dev.ferry.replication.backfill.RowKeys;
import dev.ferry.replication.schema.TableMapping;
import dev.ferry.replication.source.SourcePosition;
import dev.ferry.replication.staging.RowChange;

import static java.util.Objects.requireNonNull;

/**
 * Tells apply which staged changes a backfill snapshot already holds. Each table was copied from its own
 * snapshot, and after a crash its later chunks from another one; a change is skipped when the snapshot of the
 * chunk its row belongs to includes the change's transaction.
 */
public final class SnapshotFilter
{
    private record Range(Optional<List<Object>> lastKey, SourcePosition snapshot) {}

    private final Map<String, List<Range>> ranges;

    private SnapshotFilter(Map<String, List<Range>> ranges)
    {
        this.ranges = Map.copyOf(ranges);
    }

    public static SnapshotFilter of(Map<String, List<ReplicationStore.ChunkSnapshot>> snapshots)
    {
        Map<String, List<Range>> ranges = new HashMap<>();
        snapshots.forEach((table, chunks) -> {
            List<Range> tableRanges = new ArrayList<>();
            for (ReplicationStore.ChunkSnapshot chunk : chunks) {
                tableRanges.add(new Range(chunk.lastKey().map(RowKeys::decode), SourcePosition.parse(chunk.snapshotGtid())));
            }
            ranges.put(table, List.copyOf(tableRanges));
        });
        return new SnapshotFilter(ranges);
    }

    /** Whether the change's row, as copied by backfill, already reflects the transaction. */
    public boolean alreadyCopied(TableMapping table, RowChange change, String gtid)
    {
        requireNonNull(gtid, "gtid is null");
        List<Range> tableRanges = ranges.get(table.name());
        if (tableRanges == null || tableRanges.isEmpty()) {
            throw new IllegalStateException("table %s has no backfill snapshot: apply must start after backfill".formatted(table.name()));
        }
        List<Object> row = change.operation() == RowChange.Operation.INSERT ? change.after() : change.before();
        List<Object> key = table.rowKey().stream().map(column -> row.get(table.columnIndex(column))).toList();
        for (Range range : tableRanges) {
            if (range.lastKey().isEmpty() || key.isEmpty() || RowKeys.compare(key, range.lastKey().get()) <= 0) {
                return range.snapshot().includes(gtid);
            }
        }
        return tableRanges.get(tableRanges.size() - 1).snapshot().includes(gtid);
    }
}
