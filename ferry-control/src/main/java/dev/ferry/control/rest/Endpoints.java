package dev.ferry.control.rest;

import static java.util.Objects.requireNonNull;

/** What the route table's handlers are methods of. */
public record Endpoints(SystemEndpoints system, MigrationEndpoints migrations, TokenEndpoints tokens, ConsoleAssets console)
{
    public Endpoints
    {
        requireNonNull(system, "system is null");
        requireNonNull(migrations, "migrations is null");
        requireNonNull(tokens, "tokens is null");
        requireNonNull(console, "console is null");
    }
}
