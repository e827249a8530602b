package dev.ferry.replication.preconditions;

import java.util.List;

import dev.ferry.replication.source.SourceDialect;
import dev.ferry.replication.source.SourcePosition;

import static java.util.Objects.requireNonNull;

/**
 * What the preconditions learnt about the source server that later steps need.
 *
 * @param dialect the server's kind and version, and how Ferry follows its binlog (with GTIDs or not)
 * @param binlogPosition the source's position when the checks ran: every transaction committed by then
 * @param warnings what does not stop a migration but the operator should know (an untested server version, a short
 *     binlog retention)
 */
public record SourceFacts(SourceDialect dialect, SourcePosition binlogPosition, List<String> warnings)
{
    public SourceFacts
    {
        requireNonNull(dialect, "dialect is null");
        requireNonNull(binlogPosition, "binlogPosition is null");
        warnings = List.copyOf(warnings);
    }
}
