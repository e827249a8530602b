package dev.ferry.replication.preconditions;

import static java.util.Objects.requireNonNull;

/**
 * What the preconditions learnt about the source server that later steps need: which connector reads its binlog,
 * whether it writes GTIDs, and where its binlog stood when the checks passed.
 *
 * @param flavor MariaDB or MySQL (Percona and Aurora MySQL count as MySQL)
 * @param serverVersion the server's version string, such as {@code 10.11.5-MariaDB-log}
 * @param gtidMode whether the binlog carries global transaction ids (always on MariaDB)
 * @param binlogPosition the end of the binlog when the checks ran
 */
public record SourceFacts(Flavor flavor, String serverVersion, GtidMode gtidMode, BinlogPosition binlogPosition)
{
    public enum Flavor
    {
        MARIADB,
        MYSQL,
    }

    public enum GtidMode
    {
        ON,
        OFF,
    }

    /** A binlog file and a byte offset in it. */
    public record BinlogPosition(String file, long position)
    {
        public BinlogPosition
        {
            requireNonNull(file, "file is null");
            if (position < 0) {
                throw new IllegalArgumentException("position must not be negative: " + position);
            }
        }
    }

    public SourceFacts
    {
        requireNonNull(flavor, "flavor is null");
        requireNonNull(serverVersion, "serverVersion is null");
        requireNonNull(gtidMode, "gtidMode is null");
        requireNonNull(binlogPosition, "binlogPosition is null");
    }
}
