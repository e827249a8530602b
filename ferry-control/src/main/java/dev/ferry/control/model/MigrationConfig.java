package dev.ferry.control.model;

import static java.util.Objects.requireNonNull;

/** A migration execution's {@code cloudSqlMigrationConfig}. */
public record MigrationConfig(CloudSqlConnectionConfig connection, CdcConfig cdc)
{
    public MigrationConfig
    {
        requireNonNull(connection, "connection is null");
        requireNonNull(cdc, "cdc is null");
    }

    /** The same configuration with both passwords emptied: what is stored in clear and shown. */
    public MigrationConfig withoutPasswords()
    {
        return new MigrationConfig(connection.withPassword(""), cdc.withPassword(""));
    }

    public MigrationConfig withPasswords(String connectionPassword, String cdcPassword)
    {
        return new MigrationConfig(connection.withPassword(connectionPassword), cdc.withPassword(cdcPassword));
    }
}
