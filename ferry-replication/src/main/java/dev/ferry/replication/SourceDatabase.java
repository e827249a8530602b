package dev.ferry.replication;

import java.util.Optional;

import dev.ferry.replication.source.SourceConnections;
import dev.ferry.replication.source.SourceProxy;
import dev.ferry.replication.source.SourceTls;

import static java.util.Objects.requireNonNull;

/**
 * The customer's MySQL or MariaDB metastore database, the two users Ferry connects as (one to read the metastore
 * for backfill and verify, one for change data capture; they may be the same user), how those connections use
 * TLS, and the SOCKS5 proxy they go through, if the source is reachable only through one. Passwords never appear in
 * {@link #toString()}.
 */
public record SourceDatabase(String host, int port, String database, String user, String password, String cdcUser, String cdcPassword, SourceTls tls,
        Optional<SourceProxy> proxy)
{
    public SourceDatabase
    {
        requireNonNull(host, "host is null");
        requireNonNull(database, "database is null");
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
        requireNonNull(cdcUser, "cdcUser is null");
        requireNonNull(cdcPassword, "cdcPassword is null");
        requireNonNull(tls, "tls is null");
        requireNonNull(proxy, "proxy is null");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be from 1 to 65535: " + port);
        }
    }

    /** A source reached directly. */
    public SourceDatabase(String host, int port, String database, String user, String password, String cdcUser, String cdcPassword, SourceTls tls)
    {
        this(host, port, database, user, password, cdcUser, cdcPassword, tls, Optional.empty());
    }

    /** A source reached directly, whose connections use TLS when the server offers it. */
    public SourceDatabase(String host, int port, String database, String user, String password, String cdcUser, String cdcPassword)
    {
        this(host, port, database, user, password, cdcUser, cdcPassword, SourceTls.PREFERRED);
    }

    /**
     * The metastore database's JDBC URL for the MariaDB driver, with the TLS options in effect (an engine on the
     * source connects with it).
     */
    public String jdbcUrl()
    {
        return SourceConnections.jdbcUrl(this, database);
    }

    @Override
    public String toString()
    {
        return "SourceDatabase[%s:%s/%s, user=%s, cdcUser=%s%s]".formatted(host, port, database, user, cdcUser, proxy.map(through -> ", through " + through).orElse(""));
    }
}
