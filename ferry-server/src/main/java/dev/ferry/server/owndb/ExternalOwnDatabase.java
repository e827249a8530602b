package dev.ferry.server.owndb;

import static java.util.Objects.requireNonNull;

/** A PostgreSQL database someone else runs; Ferry only connects to it. */
public record ExternalOwnDatabase(String jdbcUrl, String user, String password)
        implements OwnDatabase
{
    public ExternalOwnDatabase
    {
        requireNonNull(jdbcUrl, "jdbcUrl is null");
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
    }

    @Override
    public String describe()
    {
        return "external PostgreSQL %s as %s".formatted(jdbcUrl, user);
    }

    @Override
    public void close() {}

    @Override
    public String toString()
    {
        return describe();
    }
}
