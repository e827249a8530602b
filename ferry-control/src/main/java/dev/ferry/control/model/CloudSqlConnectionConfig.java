package dev.ferry.control.model;

import java.util.Optional;

import dev.ferry.replication.source.SourceTls;

import static java.util.Objects.requireNonNull;

/**
 * Where the customer's metastore database is and how Ferry's engine and backfill log in. {@code password} is input
 * only: kept encrypted in the control store, empty in every view. {@code tls} (Ferry's own field) says how every
 * connection to the source uses TLS.
 */
public record CloudSqlConnectionConfig(
        Optional<String> instanceConnectionName,
        String ipAddress,
        int port,
        String hiveDatabaseName,
        String username,
        String password,
        Optional<String> proxySubnet,
        Optional<String> natSubnet,
        SourceTls tls)
{
    public CloudSqlConnectionConfig
    {
        requireNonNull(instanceConnectionName, "instanceConnectionName is null");
        requireNonNull(ipAddress, "ipAddress is null");
        requireNonNull(hiveDatabaseName, "hiveDatabaseName is null");
        requireNonNull(username, "username is null");
        requireNonNull(password, "password is null");
        requireNonNull(proxySubnet, "proxySubnet is null");
        requireNonNull(natSubnet, "natSubnet is null");
        requireNonNull(tls, "tls is null");
    }

    public CloudSqlConnectionConfig withPassword(String newPassword)
    {
        return new CloudSqlConnectionConfig(instanceConnectionName, ipAddress, port, hiveDatabaseName, username, newPassword, proxySubnet, natSubnet, tls);
    }

    @Override
    public String toString()
    {
        return "CloudSqlConnectionConfig[%s:%s/%s as %s]".formatted(ipAddress, port, hiveDatabaseName, username);
    }
}
