package dev.ferry.testkit;

import java.util.EnumMap;
import java.util.Map;

/**
 * The source servers tests migrate from, started once per JVM on first use and stopped when the JVM exits: a test
 * suite pays each server's start once, and test classes share a server by using databases of their own names.
 */
public final class SourceServers
{
    /** The source servers Ferry supports, as the tests run them. */
    public enum Kind
    {
        MARIADB_10_11("MariaDB 10.11", "ma1011"),
        MYSQL_8_0_GTID("MySQL 8.0, GTID on", "my80g"),
        MYSQL_8_0("MySQL 8.0, GTID off", "my80"),
        MYSQL_5_7("MySQL 5.7, GTID off", "my57");

        private final String label;
        private final String tag;

        Kind(String label, String tag)
        {
            this.label = label;
            this.tag = tag;
        }

        /**
         * A short name for database names of tests. Not the product's name: Hive's metastore takes a JDBC URL that
         * contains "mysql" or "mariadb" anywhere, a PostgreSQL database's name included, for MySQL's.
         */
        public String tag()
        {
            return tag;
        }

        @Override
        public String toString()
        {
            return label;
        }

        /** A new server of this kind, the caller's to close. */
        public SourceServer start()
        {
            return switch (this) {
                case MARIADB_10_11 -> EmbeddedMariaDb.start();
                case MYSQL_8_0_GTID -> EmbeddedMySql.builder(EmbeddedMySql.Version.MYSQL_8_0).withGtid().start();
                case MYSQL_8_0 -> EmbeddedMySql.builder(EmbeddedMySql.Version.MYSQL_8_0).start();
                case MYSQL_5_7 -> EmbeddedMySql.builder(EmbeddedMySql.Version.MYSQL_5_7).start();
            };
        }
    }

    private static final Map<Kind, SourceServer> servers = new EnumMap<>(Kind.class);

    private SourceServers() {}

    /** The JVM's server of this kind, started now if it is the first use; never close it. */
    public static synchronized SourceServer shared(Kind kind)
    {
        SourceServer server = servers.get(kind);
        if (server == null) {
            SourceServer started = kind.start();
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "stop-" + kind.name().toLowerCase(java.util.Locale.ROOT)));
            servers.put(kind, started);
            server = started;
        }
        return server;
    }
}
