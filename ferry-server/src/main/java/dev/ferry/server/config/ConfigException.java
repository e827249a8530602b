package dev.ferry.server.config;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** A configuration Ferry cannot start with; the message names every offending key. */
public class ConfigException
        extends RuntimeException
{
    private final List<String> problems;

    public ConfigException(String source, List<String> problems)
    {
        super("invalid configuration in %s:%n  %s".formatted(source, String.join("%n  ".formatted(), problems)));
        this.problems = List.copyOf(requireNonNull(problems, "problems is null"));
    }

    public List<String> problems()
    {
        return problems;
    }
}
