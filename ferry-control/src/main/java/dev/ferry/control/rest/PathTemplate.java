package dev.ferry.control.rest;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A path with variables, as the API's docs write it: {@code /v1/projects/{project}/locations/{location}/operations/{operation}},
 * optionally ending in a custom method ({@code :startMigration}). A variable matches one path segment without
 * {@code /} or {@code :}.
 */
public final class PathTemplate
{
    private static final Pattern VARIABLE = Pattern.compile("\\{([a-zA-Z]+)\\}");
    private static final Pattern WELL_FORMED = Pattern.compile("/([A-Za-z0-9._-]+|\\{[a-zA-Z]+\\})?(/([A-Za-z0-9._-]+|\\{[a-zA-Z]+\\}))*/?(:[A-Za-z]+)?");

    private final String text;
    private final Pattern pattern;
    private final List<String> variables;

    private PathTemplate(String text, Pattern pattern, List<String> variables)
    {
        this.text = text;
        this.pattern = pattern;
        this.variables = List.copyOf(variables);
    }

    public static PathTemplate of(String text)
    {
        requireNonNull(text, "text is null");
        if (!WELL_FORMED.matcher(text).matches()) {
            throw new IllegalArgumentException("not a path template: " + text);
        }
        StringBuilder regex = new StringBuilder();
        List<String> variables = new ArrayList<>();
        Matcher matcher = VARIABLE.matcher(text);
        int end = 0;
        while (matcher.find()) {
            regex.append(Pattern.quote(text.substring(end, matcher.start()))).append("([^/:]+)");
            if (variables.contains(matcher.group(1))) {
                throw new IllegalArgumentException("variable {%s} appears twice in %s".formatted(matcher.group(1), text));
            }
            variables.add(matcher.group(1));
            end = matcher.end();
        }
        regex.append(Pattern.quote(text.substring(end)));
        return new PathTemplate(text, Pattern.compile(regex.toString()), variables);
    }

    /** The variables' values when {@code path} matches, in template order. */
    public Optional<Map<String, String>> match(String path)
    {
        Matcher matcher = pattern.matcher(path);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (int i = 0; i < variables.size(); i++) {
            values.put(variables.get(i), matcher.group(i + 1));
        }
        return Optional.of(values);
    }

    public List<String> variables()
    {
        return variables;
    }

    /** The custom method the template ends in ({@code startMigration}), if any. */
    public Optional<String> customMethod()
    {
        int colon = text.lastIndexOf(':');
        return colon < 0 ? Optional.empty() : Optional.of(text.substring(colon + 1));
    }

    @Override
    public boolean equals(Object other)
    {
        return other instanceof PathTemplate that && text.equals(that.text);
    }

    @Override
    public int hashCode()
    {
        return text.hashCode();
    }

    @Override
    public String toString()
    {
        return text;
    }
}
