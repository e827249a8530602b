package dev.ferry.cli;

import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.util.List;

import picocli.CommandLine;

import static java.util.Objects.requireNonNull;

/**
 * The commands of {@code ferry} that are clients of the REST API, {@code migrations} and {@code tokens}, on picocli.
 * Every failure ends as one message on standard error, {@code ferry: ...}, with the API's field violations under
 * it, and an exit code from {@link ExitCodes}; never a stack trace.
 */
public final class FerryCli
{
    private FerryCli() {}

    public static int migrations(List<String> arguments, CliEnvironment environment)
    {
        return run(new MigrationsCommand(), "ferry migrations", arguments, environment);
    }

    public static int tokens(List<String> arguments, CliEnvironment environment)
    {
        return run(new TokensCommand(), "ferry tokens", arguments, environment);
    }

    /** A picocli command line for {@code command}, with Ferry's error handling; for {@code ferry}'s other commands too. */
    public static CommandLine commandLine(Object command, String name, CliEnvironment environment)
    {
        requireNonNull(environment, "environment is null");
        CommandLine line = new CommandLine(command, new Factory(environment));
        line.setCommandName(name);
        line.setOut(new PrintWriter(environment.out(), true));
        line.setErr(new PrintWriter(environment.err(), true));
        line.setCaseInsensitiveEnumValuesAllowed(true);
        line.setUsageHelpWidth(110);
        line.setParameterExceptionHandler((exception, arguments) -> {
            environment.err().println("ferry: " + exception.getMessage());
            environment.err().printf("Try '%s --help'.%n", exception.getCommandLine().getCommandSpec().qualifiedName());
            return ExitCodes.USAGE;
        });
        line.setExecutionExceptionHandler((exception, commandLine, parseResult) -> {
            if (exception instanceof ApiException api) {
                environment.err().printf("ferry: %s (%s)%n", api.getMessage(), api.status());
                api.violations().forEach(violation -> environment.err().printf("  %s: %s%n", violation.field(), violation.description()));
                return api.exitCode();
            }
            if (exception instanceof CliException cli) {
                environment.err().println("ferry: " + cli.getMessage());
                return cli.exitCode();
            }
            environment.err().printf("ferry: %s failed: %s%n", commandLine.getCommandSpec().qualifiedName(),
                    exception.getMessage() == null ? exception.getClass().getSimpleName() : exception.getMessage());
            return ExitCodes.FAILED;
        });
        return line;
    }

    private static int run(Object command, String name, List<String> arguments, CliEnvironment environment)
    {
        return commandLine(command, name, environment).execute(arguments.toArray(String[]::new));
    }

    /** Builds commands that take the {@link CliEnvironment}, and any other the default way. */
    private record Factory(CliEnvironment environment)
            implements CommandLine.IFactory
    {
        @Override
        public <K> K create(Class<K> type)
                throws Exception
        {
            for (Constructor<?> constructor : type.getDeclaredConstructors()) {
                if (constructor.getParameterCount() == 1 && constructor.getParameterTypes()[0] == CliEnvironment.class) {
                    constructor.setAccessible(true);
                    return type.cast(constructor.newInstance(environment));
                }
            }
            return CommandLine.defaultFactory().create(type);
        }
    }
}
