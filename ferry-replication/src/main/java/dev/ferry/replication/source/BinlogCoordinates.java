package dev.ferry.replication.source;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A binlog file and a byte offset in it, the position of a MySQL source without GTIDs: it includes every
 * transaction that starts before it. {@code SHOW MASTER STATUS} gives the end of the binlog, where the next
 * transaction will start, so it includes every transaction committed so far. A transaction is named by where it
 * starts, as in {@code binlog.000002:833}. Binlog files share a base name and are numbered in order, so positions
 * compare by file number, then offset.
 */
public record BinlogCoordinates(String file, long offset)
        implements SourcePosition, Comparable<BinlogCoordinates>
{
    /** Before every binlog file: includes nothing. */
    static final BinlogCoordinates EARLIEST = new BinlogCoordinates("", 0);

    private static final Pattern COORDINATES = SourcePosition.whole("(.+\\.(\\d+)):(\\d+)");

    public BinlogCoordinates
    {
        requireNonNull(file, "file is null");
        if (offset < 0) {
            throw new IllegalArgumentException("binlog offset must not be negative: " + offset);
        }
    }

    static boolean looksLike(String text)
    {
        return COORDINATES.matcher(text).matches();
    }

    public static BinlogCoordinates parse(String text)
    {
        Matcher matcher = COORDINATES.matcher(text.trim());
        if (!matcher.matches()) {
            throw new IllegalArgumentException("not binlog coordinates (file:offset): " + text);
        }
        return new BinlogCoordinates(matcher.group(1), Long.parseLong(matcher.group(3)));
    }

    /** Where the named transaction starts. */
    static BinlogCoordinates ofTransaction(String transaction)
    {
        return parse(transaction);
    }

    @Override
    public boolean includes(String transaction)
    {
        return ofTransaction(transaction).compareTo(this) < 0;
    }

    @Override
    public boolean includesAll(SourcePosition other)
    {
        if (other instanceof Empty) {
            return true;
        }
        if (!(other instanceof BinlogCoordinates coordinates)) {
            throw SourcePosition.incomparable(this, other);
        }
        return coordinates.compareTo(this) <= 0;
    }

    @Override
    public SourcePosition advancedTo(String transaction)
    {
        BinlogCoordinates start = ofTransaction(transaction);
        return union(new BinlogCoordinates(start.file, start.offset + 1));
    }

    @Override
    public SourcePosition union(SourcePosition other)
    {
        if (other instanceof Empty) {
            return this;
        }
        if (!(other instanceof BinlogCoordinates coordinates)) {
            throw SourcePosition.incomparable(this, other);
        }
        return compareTo(coordinates) >= 0 ? this : coordinates;
    }

    @Override
    public int compareTo(BinlogCoordinates other)
    {
        if (file.equals(other.file)) {
            return Long.compare(offset, other.offset);
        }
        if (this == EARLIEST || file.isEmpty()) {
            return -1;
        }
        if (other.file.isEmpty()) {
            return 1;
        }
        int dot = file.lastIndexOf('.');
        int otherDot = other.file.lastIndexOf('.');
        if (!file.substring(0, dot).equals(other.file.substring(0, otherDot))) {
            throw new IllegalArgumentException("cannot compare binlog coordinates in %s and %s: the binlog's base name changed".formatted(file, other.file));
        }
        return Long.compare(Long.parseLong(file.substring(dot + 1)), Long.parseLong(other.file.substring(otherDot + 1)));
    }

    @Override
    public String toString()
    {
        return file.isEmpty() ? "" : file + ":" + offset;
    }
}
