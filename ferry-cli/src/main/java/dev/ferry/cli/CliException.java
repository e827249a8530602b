package dev.ferry.cli;

import static java.util.Objects.requireNonNull;

/** What ends a command with one message on standard error and an exit code; never a stack trace. */
public class CliException
        extends RuntimeException
{
    private final int exitCode;

    public CliException(int exitCode, String message)
    {
        super(requireNonNull(message, "message is null"));
        this.exitCode = exitCode;
    }

    public static CliException usage(String message)
    {
        return new CliException(ExitCodes.USAGE, message);
    }

    public static CliException failed(String message)
    {
        return new CliException(ExitCodes.FAILED, message);
    }

    public int exitCode()
    {
        return exitCode;
    }
}
