package dev.ferry.replication.verify;

import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

import dev.ferry.replication.ReplicationException;

import static dev.ferry.replication.ReplicationException.Reason.VERIFICATION_FAILED;
import static java.util.Objects.requireNonNull;

/**
 * The result of comparing the source with the own database: every table compared, and every difference found.
 * No differences means every compared table holds the same rows on both sides.
 */
public record VerificationReport(List<TableVerification> tables, List<Difference> differences, Duration elapsed)
{
    public VerificationReport
    {
        tables = List.copyOf(requireNonNull(tables, "tables is null"));
        differences = List.copyOf(requireNonNull(differences, "differences is null"));
        requireNonNull(elapsed, "elapsed is null");
    }

    static VerificationReport of(List<TableVerification> tables, Duration elapsed)
    {
        List<TableVerification> sorted = tables.stream().sorted(Comparator.comparing(TableVerification::table)).toList();
        return new VerificationReport(sorted, sorted.stream().flatMap(table -> table.differences().stream()).toList(), elapsed);
    }

    public boolean identical()
    {
        return differences.isEmpty();
    }

    public long sourceRows()
    {
        return tables.stream().mapToLong(TableVerification::sourceRows).sum();
    }

    public TableVerification table(String name)
    {
        return tables.stream().filter(table -> table.table().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("table %s was not verified".formatted(name)));
    }

    /** One line for logs and the user: how much was compared, and what differs. */
    public String summary()
    {
        String compared = "%s tables, %s source rows compared in %s ms".formatted(tables.size(), sourceRows(), elapsed.toMillis());
        if (identical()) {
            return "source and own database are identical: " + compared;
        }
        return "source and own database differ in %s key ranges of %s: %s (%s)".formatted(differences.size(),
                differences.stream().map(Difference::table).distinct().collect(Collectors.joining(", ")),
                differences.stream().map(Difference::toString).collect(Collectors.joining("; ")), compared);
    }

    /** Throws a {@link ReplicationException} ({@code VERIFICATION_FAILED}) that lists the differences, if any. */
    public VerificationReport requireIdentical()
    {
        if (!identical()) {
            throw new ReplicationException(VERIFICATION_FAILED, summary());
        }
        return this;
    }
}
