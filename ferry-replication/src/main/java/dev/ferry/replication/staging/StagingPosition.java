package dev.ferry.replication.staging;

/** A place in the staging log: a segment number and a byte offset in it, where a frame starts. */
public record StagingPosition(long segment, long offset)
        implements Comparable<StagingPosition>
{
    public static final StagingPosition START = new StagingPosition(1, 0);

    public StagingPosition
    {
        if (segment < 1 || offset < 0) {
            throw new IllegalArgumentException("invalid staging position %s:%s".formatted(segment, offset));
        }
    }

    @Override
    public int compareTo(StagingPosition other)
    {
        int bySegment = Long.compare(segment, other.segment);
        return bySegment != 0 ? bySegment : Long.compare(offset, other.offset);
    }

    @Override
    public String toString()
    {
        return segment + ":" + offset;
    }
}
