package dev.ferry.cli;

import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code ferry migrations ...}: the managed-migration API from the command line. */
@Command(name = "migrations", mixinStandardHelpOptions = true,
        subcommands = {StartCommand.class, WatchCommand.class, CompleteCommand.class, CancelCommand.class, DescribeCommand.class, ListCommand.class, DeleteCommand.class,
                OperationsCommand.class},
        description = {"Run a migration of a metastore's MySQL/MariaDB database into Ferry's own database, over Ferry's REST API.",
                "Every command takes --server URL (or $FERRY_SERVER), --token-file FILE (or $FERRY_TOKEN; default data/admin-token),",
                "--service NAME and --format table|json|yaml. Exit codes: 0 done, 1 refused or failed, 2 bad usage."},
        footer = {"", "A migration from start to end:",
                "  ferry migrations start --ip-address HOST --hive-database-name hms --username hive --password-file hive.pw \\",
                "      --cdc-username ferry_cdc --cdc-password-file cdc.pw --wait",
                "  ferry migrations complete --wait"})
final class MigrationsCommand
        implements Callable<Integer>
{
    @Spec
    CommandSpec spec;

    @Override
    public Integer call()
    {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }
}
