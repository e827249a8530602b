package dev.ferry.replication.verify;

import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * One table compared.
 *
 * @param chunkKey the key columns the table was read in chunks by; empty when it was read in one pass (no key, or
 *     no key column that compares the same way in both databases)
 * @param chunks how many chunks were compared
 * @param sourceChecksum order-independent checksum of the source's normalised rows
 * @param ownChecksum the same over the own database's rows; equal to the source's when the rows are
 * @param differences the key ranges whose rows differ, adjacent differing chunks merged; empty when the table
 *     is the same on both sides
 */
public record TableVerification(
        String table,
        List<String> chunkKey,
        int chunks,
        long sourceRows,
        long ownRows,
        String sourceChecksum,
        String ownChecksum,
        List<Difference> differences)
{
    public TableVerification
    {
        requireNonNull(table, "table is null");
        chunkKey = List.copyOf(requireNonNull(chunkKey, "chunkKey is null"));
        requireNonNull(sourceChecksum, "sourceChecksum is null");
        requireNonNull(ownChecksum, "ownChecksum is null");
        differences = List.copyOf(requireNonNull(differences, "differences is null"));
    }

    public boolean checksumsMatch()
    {
        return sourceChecksum.equals(ownChecksum);
    }

    public boolean matches()
    {
        return differences.isEmpty();
    }
}
