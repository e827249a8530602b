package dev.ferry.replication.finalize;

import java.util.OptionalLong;

import static java.util.Objects.requireNonNull;

/**
 * One id generator of the own database that finalize raised.
 *
 * @param generator the generator, such as {@code SEQUENCE_TABLE[org.apache.hadoop.hive.metastore.model.MTable]},
 *     {@code NEXT_WRITE_ID[sales.orders]} or {@code sequence "TXNS_TXN_ID_seq"}
 * @param before the next id it would have handed out; empty when the own database had no row for it
 * @param after the next id it hands out now
 */
public record IdGeneratorChange(String generator, OptionalLong before, long after)
{
    public IdGeneratorChange
    {
        requireNonNull(generator, "generator is null");
        requireNonNull(before, "before is null");
    }

    @Override
    public String toString()
    {
        return "%s: %s -> %s".formatted(generator, before.isPresent() ? String.valueOf(before.getAsLong()) : "none", after);
    }
}
