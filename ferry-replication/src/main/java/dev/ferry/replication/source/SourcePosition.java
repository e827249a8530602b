package dev.ferry.replication.source;

import java.util.regex.Pattern;

/**
 * A place in the source's binlog history, as the set of committed source transactions it includes. Each source
 * dialect names transactions and positions its own way:
 *
 * <ul>
 *   <li>{@link MariaDbGtids}: MariaDB GTIDs, a transaction {@code domain-server-sequence}, a position the last
 *   sequence number of each domain, as in {@code @@gtid_binlog_pos} ({@code 0-1-1234,1-2-17});</li>
 *   <li>{@link MySqlGtidSet}: MySQL GTIDs, a transaction {@code uuid:number}, a position a GTID set, as in
 *   {@code @@gtid_executed} ({@code 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7});</li>
 *   <li>{@link BinlogCoordinates}: MySQL without GTIDs, a transaction named by the binlog file and offset where it
 *   starts ({@code binlog.000002:833}), a position a binlog file and offset, including every transaction that
 *   starts before it, as {@code SHOW MASTER STATUS} gives the end of the binlog.</li>
 * </ul>
 *
 * Positions of different kinds are not comparable: a method given one throws {@link IllegalArgumentException}.
 * {@link #EMPTY} includes nothing and takes the kind of the first transaction it is advanced to.
 */
public sealed interface SourcePosition
        permits SourcePosition.Empty, MariaDbGtids, MySqlGtidSet, BinlogCoordinates
{
    SourcePosition EMPTY = new Empty();

    /** A position's text, as {@link #toString()} writes it (for every kind, the form the server itself shows). */
    static SourcePosition parse(String text)
    {
        String trimmed = text == null ? "" : text.replaceAll("\\s", "");
        if (trimmed.isEmpty()) {
            return EMPTY;
        }
        if (MariaDbGtids.looksLike(trimmed)) {
            return MariaDbGtids.parse(trimmed);
        }
        if (MySqlGtidSet.looksLike(trimmed)) {
            return MySqlGtidSet.parse(trimmed);
        }
        if (BinlogCoordinates.looksLike(trimmed)) {
            return BinlogCoordinates.parse(trimmed);
        }
        throw new IllegalArgumentException("not a MariaDB GTID position, a MySQL GTID set or binlog coordinates: " + text);
    }

    /** Whether the transaction with this name is at or before this position. */
    boolean includes(String transaction);

    /** Whether every transaction included in the other position is included in this one. */
    boolean includesAll(SourcePosition other);

    /** This position, moved past the named transaction (and never back). */
    SourcePosition advancedTo(String transaction);

    /** Every transaction either position includes (for binlog coordinates, the later of the two). */
    SourcePosition union(SourcePosition other);

    /** The position that includes nothing yet. */
    record Empty()
            implements SourcePosition
    {
        @Override
        public boolean includes(String transaction)
        {
            return false;
        }

        @Override
        public boolean includesAll(SourcePosition other)
        {
            return other instanceof Empty;
        }

        @Override
        public SourcePosition advancedTo(String transaction)
        {
            if (MariaDbGtids.GTID.matcher(transaction).matches()) {
                return MariaDbGtids.parse(transaction);
            }
            if (MySqlGtidSet.GTID.matcher(transaction).matches()) {
                return MySqlGtidSet.parse(transaction);
            }
            return BinlogCoordinates.EARLIEST.advancedTo(transaction);
        }

        @Override
        public SourcePosition union(SourcePosition other)
        {
            return other;
        }

        @Override
        public String toString()
        {
            return "";
        }
    }

    /** Throws when two positions are of different kinds, naming both. */
    static IllegalArgumentException incomparable(SourcePosition position, Object other)
    {
        return new IllegalArgumentException("cannot compare source position %s (%s) with %s: the source's binlog positions changed kind (was gtid_mode changed?)"
                .formatted(position, position.getClass().getSimpleName(), other));
    }

    /** A pattern that matches a whole string. */
    static Pattern whole(String regex)
    {
        return Pattern.compile("^(?:" + regex + ")$");
    }
}
