package dev.ferry.cli;

import java.util.Optional;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ferry migrations watch [ID]}. */
@Command(name = "watch", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Follow a migration execution live until it ends (or, with --until streaming, until its changes stream).",
                "Exit code: 0 when it SUCCEEDED (or streams, with --until streaming), 1 when it FAILED or was CANCELLED. Ctrl-C stops watching, not the migration."})
final class WatchCommand
        extends ApiCommand
{
    /** What to watch for. */
    enum Until
    {
        ENDED,
        STREAMING,
    }

    @Parameters(paramLabel = "ID", arity = "0..1", description = "The execution's id or whole name (default: the running one).")
    String id;

    @Option(names = "--until", paramLabel = "WHEN", defaultValue = "ended", description = "ended or streaming (default: ${DEFAULT-VALUE}).")
    Until until;

    @Mixin
    WaitOptions waiting = new WaitOptions();

    WatchCommand(CliEnvironment environment)
    {
        super(environment);
    }

    @Override
    public Integer call()
    {
        FerryApi api = api();
        String name = id != null ? executionName(id)
                : liveExecution(api).map(found -> found.path("name").asText())
                        .orElseThrow(() -> CliException.failed("no migration is running; name one: ferry migrations watch ID (see ferry migrations list)"));
        return new Follow(environment, api, waiting.view(environment), waiting.interval()).until(name, Optional.empty(),
                until == Until.STREAMING ? Follow.Goal.STREAMING : Follow.Goal.ENDED);
    }
}
