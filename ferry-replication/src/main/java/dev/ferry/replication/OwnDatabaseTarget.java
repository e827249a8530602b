package dev.ferry.replication;

import static java.util.Objects.requireNonNull;

/** The own PostgreSQL database replication writes to. The password never appears in {@link #toString()}. */
public record OwnDatabaseTarget(String jdbcUrl, String user, String password)
{
    public OwnDatabaseTarget
    {
        requireNonNull(jdbcUrl, "jdbcUrl is null");
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("the own database must be PostgreSQL: " + jdbcUrl);
        }
    }

    @Override
    public String toString()
    {
        return "OwnDatabaseTarget[%s, user=%s]".formatted(jdbcUrl, user);
    }
}
