package dev.ferry.demo;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.ferry.testkit.SourceServers;

import static java.util.Objects.requireNonNull;

/**
 * The demo's size and settings. The defaults are the size of a mid-sized production metastore: 50 databases,
 * 2,000 tables, 50,000 partitions.
 *
 * @param databases databases in the source metastore
 * @param tables tables, spread evenly over the databases
 * @param partitions partitions, spread evenly over the tables, each with parameters and column statistics
 * @param clients HMS clients of the live workload on Ferry's Thrift port during the migration
 * @param fillThreads threads filling the source through its HMS engine
 * @param log where Ferry's log goes; empty: a file in the demo's temporary directory, deleted at the end
 * @param source the kind of server the source metastore runs on
 */
record DemoOptions(int databases, int tables, int partitions, int clients, int fillThreads, Optional<Path> log, SourceServers.Kind source)
{
    /** {@code --source} values, each naming a kind of source server. */
    static final Map<String, SourceServers.Kind> SOURCES = Map.of(
            "mariadb", SourceServers.Kind.MARIADB_10_11,
            "mysql", SourceServers.Kind.MYSQL_8_0_GTID,
            "mysql-no-gtid", SourceServers.Kind.MYSQL_8_0,
            "mysql-5.7", SourceServers.Kind.MYSQL_5_7);

    static final int DEFAULT_DATABASES = 50;
    static final int DEFAULT_TABLES = 2_000;
    static final int DEFAULT_PARTITIONS = 50_000;
    static final int DEFAULT_CLIENTS = 4;
    static final int DEFAULT_FILL_THREADS = 3;

    static final String USAGE = """
            usage: ferry demo [--source KIND] [--databases N] [--tables N] [--partitions N] [--clients N] [--threads N] [--log FILE]

            Starts an embedded MariaDB or MySQL (binlog on) with a Hive metastore made through a real HMS, a Ferry in
            the same process on free ports, migrates the metastore into Ferry's own PostgreSQL over the REST API while
            HMS clients keep calling, completes the migration, verifies it and prints a summary. Leaves nothing
            behind. Exit code 0: migrated and verified; 1: failed; 2: bad usage.

              --source KIND   the source server: mariadb (MariaDB 10.11, the default), mysql (MySQL 8.0 with GTIDs),
                              mysql-no-gtid (MySQL 8.0 without GTIDs) or mysql-5.7 (MySQL 5.7 without GTIDs)
              --databases N   databases in the source (default %,d)
              --tables N      tables, spread over the databases (default %,d)
              --partitions N  partitions, spread over the tables, with parameters and column statistics (default %,d)
              --clients N     HMS clients calling Ferry during the migration (default %d)
              --threads N     threads filling the source (default %d)
              --log FILE      keep Ferry's log in FILE (default: not kept)
            """.formatted(DEFAULT_DATABASES, DEFAULT_TABLES, DEFAULT_PARTITIONS, DEFAULT_CLIENTS, DEFAULT_FILL_THREADS);

    DemoOptions
    {
        requireNonNull(log, "log is null");
        requireNonNull(source, "source is null");
        if (databases < 1) {
            throw new IllegalArgumentException("--databases must be at least 1, not " + databases);
        }
        if (tables < databases) {
            throw new IllegalArgumentException("--tables must be at least --databases (%d), not %d".formatted(databases, tables));
        }
        if (partitions < 0) {
            throw new IllegalArgumentException("--partitions must not be negative, not " + partitions);
        }
        if (clients < 1) {
            throw new IllegalArgumentException("--clients must be at least 1, not " + clients);
        }
        if (fillThreads < 1) {
            throw new IllegalArgumentException("--threads must be at least 1, not " + fillThreads);
        }
    }

    static DemoOptions defaults()
    {
        return new DemoOptions(DEFAULT_DATABASES, DEFAULT_TABLES, DEFAULT_PARTITIONS, DEFAULT_CLIENTS, DEFAULT_FILL_THREADS, Optional.empty(), SourceServers.Kind.MARIADB_10_11);
    }

    /** Parses the arguments after {@code demo}; throws {@link IllegalArgumentException} naming the bad one. */
    static DemoOptions parse(List<String> arguments)
    {
        int databases = DEFAULT_DATABASES;
        int tables = DEFAULT_TABLES;
        int partitions = DEFAULT_PARTITIONS;
        int clients = DEFAULT_CLIENTS;
        int fillThreads = DEFAULT_FILL_THREADS;
        Optional<Path> log = Optional.empty();
        SourceServers.Kind source = SourceServers.Kind.MARIADB_10_11;
        for (int i = 0; i < arguments.size(); i++) {
            String argument = arguments.get(i);
            String name = argument;
            String value;
            int equals = argument.indexOf('=');
            if (argument.startsWith("--") && equals > 0) {
                name = argument.substring(0, equals);
                value = argument.substring(equals + 1);
            }
            else if (i + 1 < arguments.size()) {
                value = arguments.get(++i);
            }
            else {
                throw new IllegalArgumentException("unexpected argument '%s' (or a value missing after it)".formatted(argument));
            }
            switch (name) {
                case "--databases" -> databases = number(name, value);
                case "--tables" -> tables = number(name, value);
                case "--partitions" -> partitions = number(name, value);
                case "--clients" -> clients = number(name, value);
                case "--threads" -> fillThreads = number(name, value);
                case "--log" -> log = Optional.of(Path.of(value).toAbsolutePath());
                case "--source" -> {
                    source = SOURCES.get(value);
                    if (source == null) {
                        throw new IllegalArgumentException("--source must be one of mariadb, mysql, mysql-no-gtid, mysql-5.7, not '%s'".formatted(value));
                    }
                }
                default -> throw new IllegalArgumentException("unexpected argument '%s'".formatted(argument));
            }
        }
        return new DemoOptions(databases, tables, partitions, clients, fillThreads, log, source);
    }

    private static int number(String name, String value)
    {
        try {
            return Integer.parseInt(value.replace(",", "").replace("_", ""));
        }
        catch (NumberFormatException e) {
            throw new IllegalArgumentException("%s needs a whole number, not '%s'".formatted(name, value));
        }
    }

    /** Tables of database {@code database} (0-based): the tables spread as evenly as they go. */
    int tablesIn(int database)
    {
        return tables / databases + (database < tables % databases ? 1 : 0);
    }

    /** Partitions of the {@code table}-th table overall (0-based). */
    int partitionsOf(int table)
    {
        return partitions / tables + (table < partitions % tables ? 1 : 0);
    }
}
