package dev.ferry.server;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.List;

import dev.ferry.cli.CliEnvironment;
import dev.ferry.cli.FerryCli;
import dev.ferry.server.config.ConfigException;
import dev.ferry.server.config.ServerConfig;
import org.apache.logging.log4j.LogManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ferry} command. Errors an operator can fix are printed as one message on standard error, without a
 * stack trace, and end the process with a non-zero code: 2 for bad usage or configuration, 1 for anything that
 * stopped Ferry from starting or serving.
 */
public final class FerryMain
{
    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;

    private static final String DEMO_COMMAND = "dev.ferry.demo.DemoCommand";

    private static final String USAGE = """
            usage: ferry serve [--config FILE]
                   ferry migrations start|watch|complete|cancel|describe|list|delete|operations ...
                   ferry demo [--databases N] [--tables N] [--partitions N] ...
                   ferry tokens create|list|revoke|recover ...
                   ferry staging print SEGMENT-FILE
                   ferry version
                   ferry help

            Every command takes --help.

            serve    run the Hive Metastore service (Thrift, default port 9083) and its HTTP endpoint (default
                     port 8080: the REST API, and the web console at http://HOST:8080/console/); without
                     --config every key has its default: an embedded PostgreSQL under ./data is the metastore
                     database. Keys: docs/CONFIGURATION.md.
            migrations
                     start, follow live, complete or cancel a migration of a MySQL/MariaDB metastore database
                     into Ferry's own database, over the REST API of a running Ferry. docs/CLI.md.
            demo     migrate a generated metastore (50 databases, 2,000 tables, 50,000 partitions by default) from
                     an embedded MariaDB into an in-process Ferry's own PostgreSQL under a live client workload,
                     show its progress, verify it and print a summary; leaves nothing behind. 'ferry demo --help'
                     for its options.
            tokens   manage the REST API's bearer tokens of a running Ferry (admin only; --expires-in for a
                     token that stops working). 'tokens recover' mints an admin token from the data directory
                     when every admin token is lost or expired. API: docs/API.md.
            staging print
                     print a staging-log segment (segment-NNNNNNNNNNNN.log) of a migration as text, one source
                     transaction after another. Format: docs/REPLICATION.md.
            """;

    private FerryMain() {}

    public static void main(String[] args)
    {
        int code = run(args, System.out, System.err);
        if (code != EXIT_OK) {
            LogManager.shutdown();
            System.exit(code);
        }
    }

    static int run(String[] args, PrintStream out, PrintStream err)
    {
        return run(args, CliEnvironment.system(out, err));
    }

    static int run(String[] args, CliEnvironment environment)
    {
        PrintStream out = environment.out();
        PrintStream err = environment.err();
        List<String> arguments = List.of(args);
        if (arguments.isEmpty()) {
            err.print(USAGE);
            return EXIT_USAGE;
        }
        return switch (arguments.get(0)) {
            case "serve" -> serve(arguments.subList(1, arguments.size()), out, err);
            case "migrations" -> FerryCli.migrations(arguments.subList(1, arguments.size()), environment);
            case "demo" -> demo(arguments.subList(1, arguments.size()), out, err);
            case "staging" -> StagingCommand.run(arguments.subList(1, arguments.size()), out, err, USAGE);
            case "tokens" -> arguments.size() > 1 && arguments.get(1).equals("recover")
                    ? TokensRecoverCommand.run(arguments.subList(2, arguments.size()), out, err)
                    : FerryCli.tokens(arguments.subList(1, arguments.size()), environment);
            case "version", "--version" -> {
                out.println("ferry " + version());
                yield EXIT_OK;
            }
            case "help", "--help", "-h" -> {
                out.print(USAGE);
                yield EXIT_OK;
            }
            default -> {
                err.printf("ferry: unknown command '%s'%n%s", arguments.get(0), USAGE);
                yield EXIT_USAGE;
            }
        };
    }

    static final String SERVE_USAGE = """
            usage: ferry serve [--config FILE]

            Runs Ferry: the Hive Metastore Thrift service (default port 9083) and the HTTP endpoint (default port
            8080: the REST API under /v1, the web console under /console/, /healthz, /readyz, /metrics) until
            SIGTERM or Ctrl-C. The first start writes an admin API token to data/admin-token.

              --config FILE   the configuration (docs/CONFIGURATION.md); without it every key has its default, and
                              an embedded PostgreSQL under ./data is the metastore database
              -h, --help      show this help

            Exit codes: 1 could not start, 2 bad command line or configuration; 143/130 after SIGTERM/SIGINT.
            """;

    private static int serve(List<String> arguments, PrintStream out, PrintStream err)
    {
        if (arguments.contains("--help") || arguments.contains("-h")) {
            out.print(SERVE_USAGE);
            return EXIT_OK;
        }
        Path configFile = null;
        for (int i = 0; i < arguments.size(); i++) {
            String argument = arguments.get(i);
            if (argument.equals("--config") && i + 1 < arguments.size()) {
                configFile = Path.of(arguments.get(++i));
            }
            else if (argument.startsWith("--config=")) {
                configFile = Path.of(argument.substring("--config=".length()));
            }
            else {
                err.printf("ferry: unexpected argument '%s' for serve%n%s", argument, SERVE_USAGE);
                return EXIT_USAGE;
            }
        }
        ServerConfig config;
        try {
            config = configFile == null ? ServerConfig.defaults() : ServerConfig.load(configFile);
        }
        catch (ConfigException e) {
            err.println("ferry: " + e.getMessage());
            return EXIT_USAGE;
        }

        Logger log = LoggerFactory.getLogger(FerryMain.class);
        log.info("Ferry {} starting (config: {}, pid {})", version(), configFile == null ? "defaults" : configFile.toAbsolutePath(),
                ProcessHandle.current().pid());
        FerryServer server = new FerryServer(config);
        Thread shutdown = new Thread(() -> {
            log.info("Signal received: shutting down");
            server.close();
            LogManager.shutdown();
        }, "ferry-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        try {
            server.start();
        }
        catch (FerryStartupException e) {
            log.debug("Ferry could not start", e);
            err.println("ferry: cannot start: " + e.getMessage());
            removeQuietly(shutdown);
            return EXIT_FAILED;
        }
        try {
            server.awaitStopped();
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return EXIT_OK;
    }

    /**
     * Runs {@code dev.ferry.demo.DemoCommand}, found by name: the demo needs the test kit (embedded MariaDB), which
     * the server must not depend on, and is only in a distribution built with the ferry-demo module.
     */
    private static int demo(List<String> arguments, PrintStream out, PrintStream err)
    {
        Method run;
        try {
            run = Class.forName(DEMO_COMMAND).getMethod("run", List.class, PrintStream.class, PrintStream.class);
        }
        catch (ClassNotFoundException | NoSuchMethodException e) {
            err.printf("ferry: 'demo' is not in this distribution (no %s on the classpath; build it with the ferry-demo module)%n", DEMO_COMMAND);
            return EXIT_FAILED;
        }
        try {
            return (Integer) run.invoke(null, arguments, out, err);
        }
        catch (IllegalAccessException e) {
            err.println("ferry: cannot run the demo: " + e.getMessage());
            return EXIT_FAILED;
        }
        catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            err.println("ferry: the demo failed: " + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()));
            return EXIT_FAILED;
        }
    }

    private static void removeQuietly(Thread hook)
    {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (IllegalStateException ignored) {
            // Already shutting down.
        }
    }

    static String version()
    {
        String version = FerryMain.class.getPackage().getImplementationVersion();
        return version == null ? "development" : version;
    }
}
