package dev.ferry.cli;

import java.time.Duration;

import picocli.CommandLine.Option;

/** How a command that waits shows progress and how often it asks. */
final class WaitOptions
{
    /** Progress on a terminal is redrawn in place; elsewhere printed as lines. */
    enum Progress
    {
        AUTO,
        LIVE,
        PLAIN,
    }

    @Option(names = "--progress", paramLabel = "MODE", defaultValue = "auto",
            description = "auto (live on a terminal, plain lines otherwise), live or plain (default: ${DEFAULT-VALUE}).")
    Progress progress;

    @Option(names = "--interval", paramLabel = "SECONDS", defaultValue = "2", description = "How often to ask Ferry, in seconds (default: ${DEFAULT-VALUE}).")
    double intervalSeconds;

    Duration interval()
    {
        if (intervalSeconds < 0.1 || intervalSeconds > 3600) {
            throw CliException.usage("--interval must be between 0.1 and 3600 seconds, got " + intervalSeconds);
        }
        return Duration.ofMillis(Math.round(intervalSeconds * 1000));
    }

    ProgressView view(CliEnvironment environment)
    {
        boolean live = progress == Progress.LIVE || (progress == Progress.AUTO && environment.terminal());
        Duration plain = interval().compareTo(Duration.ofSeconds(10)) > 0 ? interval() : Duration.ofSeconds(10);
        return new ProgressView(environment.out(), live, plain);
    }
}
