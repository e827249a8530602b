package dev.ferry.replication.verify;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Adds rows to a running {@link Checksum}. A row is hashed from the normal text of its values, each with its
 * length in front and null marked apart from every text, so no two different rows hash from the same bytes.
 * Not thread-safe: one per reader.
 */
final class RowHasher
{
    private final MessageDigest digest;
    private final byte[] length = new byte[4];
    private long rows;
    private long high;
    private long low;

    RowHasher()
    {
        try {
            digest = MessageDigest.getInstance("SHA-256");
        }
        catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** Adds the next value of the current row; null for SQL NULL. */
    void value(String normalText)
    {
        if (normalText == null) {
            digest.update((byte) 0);
            return;
        }
        byte[] bytes = normalText.getBytes(StandardCharsets.UTF_8);
        digest.update((byte) 1);
        ByteBuffer.wrap(length).putInt(bytes.length);
        digest.update(length);
        digest.update(bytes);
    }

    /** Ends the current row and adds its hash. */
    void endRow()
    {
        ByteBuffer hash = ByteBuffer.wrap(digest.digest());
        long rowHigh = hash.getLong(0);
        long rowLow = hash.getLong(8);
        long sumLow = low + rowLow;
        high += rowHigh + (Long.compareUnsigned(sumLow, low) < 0 ? 1 : 0);
        low = sumLow;
        rows++;
    }

    Checksum checksum()
    {
        return new Checksum(rows, high, low);
    }
}
