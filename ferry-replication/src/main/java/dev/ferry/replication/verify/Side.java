package dev.ferry.replication.verify;

import dev.ferry.replication.schema.ColumnMapping;
import dev.ferry.replication.schema.Conversion;
import dev.ferry.replication.schema.TableMapping;

/** Which database a query reads, and how that database spells identifiers and key comparisons. */
enum Side
{
    SOURCE,
    OWN;

    String table(TableMapping table)
    {
        return switch (this) {
            case SOURCE -> table.sourceIdentifier();
            case OWN -> table.targetIdentifier();
        };
    }

    String column(ColumnMapping column)
    {
        return switch (this) {
            case SOURCE -> column.sourceIdentifier();
            case OWN -> column.targetIdentifier();
        };
    }

    /**
     * A key column as compared in chunk bounds. Names compare byte by byte on the own database, as they do on the
     * source, whose key names use binary collations (Verifier checks); PostgreSQL's database collation may sort
     * "B" before "a" or ignore punctuation, which would put a row in a different chunk on each side.
     */
    String keyExpression(ColumnMapping column)
    {
        if (this == OWN && column.conversion() == Conversion.STRING) {
            return column.targetIdentifier() + " COLLATE \"C\"";
        }
        return column(column);
    }

    String description()
    {
        return switch (this) {
            case SOURCE -> "source";
            case OWN -> "own";
        };
    }
}
