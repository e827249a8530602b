package dev.ferry.cli;

/** The exit codes of every {@code ferry} command (docs/CLI.md). */
public final class ExitCodes
{
    /** Done; for a wait, the migration reached what was asked (streaming, SUCCEEDED, CANCELLED). */
    public static final int OK = 0;
    /** The API refused the call, Ferry could not be reached, or the migration ended otherwise than asked (FAILED, say). */
    public static final int FAILED = 1;
    /** Bad command line: an unknown option, a missing value, a password neither in a file nor typed. */
    public static final int USAGE = 2;

    private ExitCodes() {}
}
