package dev.ferry.replication.finalize;

import java.util.List;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/** What finalize changed on the own database: every id generator it raised. Empty when all were high enough. */
public record FinalizeReport(List<IdGeneratorChange> changes)
{
    public FinalizeReport
    {
        changes = List.copyOf(requireNonNull(changes, "changes is null"));
    }

    public String summary()
    {
        if (changes.isEmpty()) {
            return "every id generator of the own database was already at or above the source's";
        }
        return "raised %s id generators of the own database: %s".formatted(changes.size(),
                changes.stream().map(IdGeneratorChange::toString).collect(Collectors.joining(", ")));
    }
}
