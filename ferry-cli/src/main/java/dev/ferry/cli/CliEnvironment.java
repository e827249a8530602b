package dev.ferry.cli;

import java.io.Console;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * What a command may use of the world: its output streams, the environment variables it reads ({@code FERRY_SERVER},
 * {@code FERRY_TOKEN}, {@code FERRY_SERVICE}), whether standard output is a terminal, a way to ask for a password,
 * and how it waits. Tests give their own.
 */
public record CliEnvironment(PrintStream out, PrintStream err, Map<String, String> variables, boolean terminal, PasswordPrompt prompt, Sleeper sleeper)
{
    /** Asks the user for a secret without echoing it; empty when there is no terminal to ask on. */
    @FunctionalInterface
    public interface PasswordPrompt
    {
        Optional<String> ask(String question);
    }

    @FunctionalInterface
    public interface Sleeper
    {
        void sleep(Duration duration)
                throws InterruptedException;
    }

    public CliEnvironment
    {
        requireNonNull(out, "out is null");
        requireNonNull(err, "err is null");
        variables = Map.copyOf(variables);
        requireNonNull(prompt, "prompt is null");
        requireNonNull(sleeper, "sleeper is null");
    }

    /** The process's: System.out and System.err, its environment, and its console if it has one. */
    public static CliEnvironment system(PrintStream out, PrintStream err)
    {
        Console console = System.console();
        PasswordPrompt prompt = question -> console == null ? Optional.empty() : Optional.ofNullable(console.readPassword("%s", question)).map(String::new);
        return new CliEnvironment(out, err, System.getenv(), console != null, prompt, duration -> Thread.sleep(duration.toMillis()));
    }

    public Optional<String> variable(String name)
    {
        return Optional.ofNullable(variables.get(name)).filter(value -> !value.isBlank());
    }
}
