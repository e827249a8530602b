package dev.ferry.server.control;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tests' source metastore (an embedded MariaDB with the binlog on, filled through a real HMS) as a process of its
 * own, for trying {@code ferry migrations} and the console by hand (docs/CLI.md, "Trying it"). Arguments: the
 * number of databases and of partitions per table (default 10 and 200), then a directory to write the two password
 * files into (default the working directory). Runs until killed.
 */
public final class SourceMetastoreMain
{
    private SourceMetastoreMain() {}

    public static void main(String[] args)
            throws Exception
    {
        int databases = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int partitions = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        Path directory = Path.of(args.length > 2 ? args[2] : ".");
        SourceMetastore source = SourceMetastore.start(databases, partitions);
        Runtime.getRuntime().addShutdownHook(new Thread(source::close, "source-stop"));
        Files.writeString(directory.resolve("hive.pw"), SourceMetastore.PASSWORD + "\n");
        Files.writeString(directory.resolve("cdc.pw"), SourceMetastore.CDC_PASSWORD + "\n");
        System.out.printf("source ready: --ip-address 127.0.0.1 --port %s --hive-database-name %s --username %s --password-file %s --cdc-username %s --cdc-password-file %s%n",
                source.port(), SourceMetastore.DATABASE, SourceMetastore.USER, directory.resolve("hive.pw"), SourceMetastore.CDC_USER, directory.resolve("cdc.pw"));
        Thread.currentThread().join();
    }
}
