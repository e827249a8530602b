package dev.ferry.engine.spi;

import java.util.Locale;

/** The metastore database kinds an engine can bind to, named as Hive's schema tool names them. */
public enum DatabaseType
{
    MYSQL("mysql", "org.mariadb.jdbc.Driver"),
    POSTGRES("postgres", "org.postgresql.Driver");

    private final String schemaToolName;
    private final String driverClass;

    DatabaseType(String schemaToolName, String driverClass)
    {
        this.schemaToolName = schemaToolName;
        this.driverClass = driverClass;
    }

    /** The {@code -dbType} of Hive's schema tool and the folder of its scripts. */
    public String schemaToolName()
    {
        return schemaToolName;
    }

    public String driverClass()
    {
        return driverClass;
    }

    public static DatabaseType fromJdbcUrl(String jdbcUrl)
    {
        String url = jdbcUrl.toLowerCase(Locale.ROOT);
        if (url.startsWith("jdbc:mysql:") || url.startsWith("jdbc:mariadb:")) {
            return MYSQL;
        }
        if (url.startsWith("jdbc:postgresql:")) {
            return POSTGRES;
        }
        throw new IllegalArgumentException(
                "unsupported JDBC URL '%s': expected jdbc:mysql:, jdbc:mariadb: or jdbc:postgresql:".formatted(jdbcUrl));
    }
}
