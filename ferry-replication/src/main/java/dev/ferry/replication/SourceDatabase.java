package dev.ferry.replication;

import static java.util.Objects.requireNonNull;

/**
 * The customer's MySQL or MariaDB metastore database, and the two users Ferry connects as: one to read the
 * metastore (backfill, verify) and one for change data capture (binlog replication). They may be the same user.
 * Passwords never appear in {@link #toString()}.
 */
public record SourceDatabase(String host, int port, String database, String user, String password, String cdcUser, String cdcPassword)
{
    public SourceDatabase
    {
        requireNonNull(host, "host is null");
        requireNonNull(database, "database is null");
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
        requireNonNull(cdcUser, "cdcUser is null");
        requireNonNull(cdcPassword, "cdcPassword is null");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be from 1 to 65535: " + port);
        }
    }

    public String jdbcUrl()
    {
        return "jdbc:mariadb://%s:%s/%s".formatted(host, port, database);
    }

    @Override
    public String toString()
    {
        return "SourceDatabase[%s:%s/%s, user=%s, cdcUser=%s]".formatted(host, port, database, user, cdcUser);
    }
}
