package dev.ferry.replication.source;

import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * A SOCKS5 proxy through which every connection to a source goes (the reader's, the CDC user's, the binlog stream
 * and the engine on the source), for a source reachable only through it: what the managed migration's proxy and NAT
 * subnets stand for. The password never appears in {@link #toString()}.
 */
public record SourceProxy(String host, int port, Optional<String> username, Optional<String> password)
{
    public SourceProxy
    {
        requireNonNull(host, "host is null");
        requireNonNull(username, "username is null");
        requireNonNull(password, "password is null");
        if (host.isBlank()) {
            throw new IllegalArgumentException("the SOCKS5 proxy's host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("the SOCKS5 proxy's port must be from 1 to 65535: " + port);
        }
        if (password.isPresent() && username.isEmpty()) {
            throw new IllegalArgumentException("the SOCKS5 proxy has a password but no username");
        }
    }

    public SourceProxy(String host, int port)
    {
        this(host, port, Optional.empty(), Optional.empty());
    }

    @Override
    public String toString()
    {
        return "socks5://%s%s:%s".formatted(username.map(user -> user + "@").orElse(""), host, port);
    }
}
