package dev.ferry.replication.verify;

/**
 * An order-independent checksum of a multiset of rows: the row count and the sum, modulo 2^128, of a 128-bit
 * hash of each row. Adding is commutative and associative, so the rows can be read in any order and in any
 * chunks, and duplicate rows (possible in tables without a key) count twice rather than cancelling out.
 */
record Checksum(long rows, long high, long low)
{
    static final Checksum EMPTY = new Checksum(0, 0, 0);

    Checksum plus(Checksum other)
    {
        long sumLow = low + other.low;
        long carry = Long.compareUnsigned(sumLow, low) < 0 ? 1 : 0;
        return new Checksum(rows + other.rows, high + other.high + carry, sumLow);
    }

    /** The checksum as 32 hexadecimal digits. */
    String hex()
    {
        return "%016x%016x".formatted(high, low);
    }
}
