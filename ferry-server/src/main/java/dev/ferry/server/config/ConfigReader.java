package dev.ferry.server.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * Reads typed values from a YAML tree by dotted key ({@code thrift.port} is {@code thrift: {port: ...}}), collecting
 * every problem instead of stopping at the first, and remembering which keys were asked for so that the rest can
 * be reported as unknown.
 */
final class ConfigReader
{
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");

    private final String source;
    private final Map<String, JsonNode> values;
    private final Set<String> known = new LinkedHashSet<>();
    private final Set<String> consumed = new LinkedHashSet<>();
    private final List<String> problems = new ArrayList<>();

    ConfigReader(String source, JsonNode root)
    {
        this.source = requireNonNull(source, "source is null");
        this.values = new TreeMap<>();
        if (root != null && !root.isNull() && !root.isMissingNode()) {
            if (!root.isObject()) {
                problems.add("the file must be a YAML mapping of keys to values");
            }
            else {
                flatten("", root);
            }
        }
    }

    private void flatten(String prefix, JsonNode node)
    {
        for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            String key = prefix.isEmpty() ? field.getKey() : prefix + "." + field.getKey();
            if (field.getValue().isObject()) {
                flatten(key, field.getValue());
            }
            else {
                values.put(key, field.getValue());
            }
        }
    }

    void problem(String key, String message)
    {
        problems.add(key + ": " + message);
    }

    private Optional<JsonNode> value(String key)
    {
        known.add(key);
        JsonNode node = values.get(key);
        return node == null || node.isNull() ? Optional.empty() : Optional.of(node);
    }

    boolean isSet(String key)
    {
        return value(key).isPresent();
    }

    String string(String key, String defaultValue)
    {
        Optional<JsonNode> node = value(key);
        if (node.isEmpty()) {
            return defaultValue;
        }
        if (!node.get().isValueNode()) {
            problem(key, "must be a single value, got " + node.get());
            return defaultValue;
        }
        return node.get().asText();
    }

    int integer(String key, int defaultValue, int min, int max)
    {
        Optional<JsonNode> node = value(key);
        if (node.isEmpty()) {
            return defaultValue;
        }
        JsonNode value = node.get();
        long number;
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            number = value.asLong();
        }
        else if (value.isTextual() && value.asText().trim().matches("-?\\d{1,18}")) {
            number = Long.parseLong(value.asText().trim());
        }
        else {
            problem(key, "must be an integer from %s to %s, got %s".formatted(min, max, value));
            return defaultValue;
        }
        if (number < min || number > max) {
            problem(key, "must be an integer from %s to %s, got %s".formatted(min, max, number));
            return defaultValue;
        }
        return (int) number;
    }

    boolean bool(String key, boolean defaultValue)
    {
        Optional<JsonNode> node = value(key);
        if (node.isEmpty()) {
            return defaultValue;
        }
        JsonNode value = node.get();
        if (value.isBoolean()) {
            return value.asBoolean();
        }
        String text = value.asText().trim().toLowerCase(Locale.ROOT);
        if (text.equals("true") || text.equals("false")) {
            return Boolean.parseBoolean(text);
        }
        problem(key, "must be true or false, got " + value);
        return defaultValue;
    }

    <E extends Enum<E>> E enumeration(String key, E defaultValue)
    {
        Optional<JsonNode> node = value(key);
        if (node.isEmpty()) {
            return defaultValue;
        }
        String text = node.get().asText().trim();
        for (E constant : defaultValue.getDeclaringClass().getEnumConstants()) {
            if (constant.name().equalsIgnoreCase(text.replace('-', '_'))) {
                return constant;
            }
        }
        List<String> allowed = new ArrayList<>();
        for (E constant : defaultValue.getDeclaringClass().getEnumConstants()) {
            allowed.add(constant.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        }
        problem(key, "must be one of %s, got %s".formatted(String.join(", ", allowed), node.get()));
        return defaultValue;
    }

    Duration duration(String key, Duration defaultValue, Duration min, Duration max)
    {
        Optional<JsonNode> node = value(key);
        if (node.isEmpty()) {
            return defaultValue;
        }
        String text = node.get().asText().trim().toLowerCase(Locale.ROOT);
        Duration duration = parseDuration(text);
        if (duration == null) {
            problem(key, "must be a duration such as 500ms, 30s, 2m or 1h, got " + node.get());
            return defaultValue;
        }
        if (duration.compareTo(min) < 0 || duration.compareTo(max) > 0) {
            problem(key, "must be from %s to %s, got %s".formatted(format(min), format(max), node.get().asText()));
            return defaultValue;
        }
        return duration;
    }

    private static Duration parseDuration(String text)
    {
        Matcher matcher = DURATION.matcher(text);
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            return switch (matcher.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "s" -> Duration.ofSeconds(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                default -> null;
            };
        }
        try {
            return Duration.parse(text.toUpperCase(Locale.ROOT));
        }
        catch (DateTimeParseException e) {
            return null;
        }
    }

    static String format(Duration duration)
    {
        if (duration.toMillis() % 1000 != 0) {
            return duration.toMillis() + "ms";
        }
        return duration.toSeconds() + "s";
    }

    /** A list of paths (a YAML sequence, or one path); {@code defaultValue} when not set. */
    List<Path> paths(String key, List<Path> defaultValue)
    {
        Optional<JsonNode> node = value(key);
        if (node.isEmpty()) {
            return defaultValue;
        }
        List<JsonNode> items = new ArrayList<>();
        if (node.get().isArray()) {
            node.get().forEach(items::add);
        }
        else {
            items.add(node.get());
        }
        List<Path> paths = new ArrayList<>();
        for (JsonNode item : items) {
            if (!item.isTextual() || item.asText().isBlank()) {
                problem(key, "must be a list of paths, got " + node.get());
                return defaultValue;
            }
            try {
                paths.add(Path.of(item.asText()));
            }
            catch (InvalidPathException e) {
                problem(key, "is not a valid path: " + e.getMessage());
                return defaultValue;
            }
        }
        if (paths.isEmpty()) {
            problem(key, "must name at least one directory");
            return defaultValue;
        }
        return List.copyOf(paths);
    }

    Path path(String key, Path defaultValue)
    {
        String text = string(key, null);
        if (text == null) {
            return defaultValue;
        }
        if (text.isBlank()) {
            problem(key, "must be a path, got an empty value");
            return defaultValue;
        }
        try {
            return Path.of(text);
        }
        catch (InvalidPathException e) {
            problem(key, "is not a valid path: " + e.getMessage());
            return defaultValue;
        }
    }

    /**
     * A mapping of free-form keys to single values under one key ({@code engine.properties}), written nested or with
     * dotted keys alike; numbers and booleans are taken as their text.
     */
    Map<String, String> map(String key)
    {
        known.add(key);
        JsonNode scalar = values.get(key);
        if (scalar != null && !scalar.isNull()) {
            problem(key, "must be a mapping of keys to values, got " + scalar);
            consumed.add(key);
        }
        String prefix = key + ".";
        Map<String, String> entries = new TreeMap<>();
        for (Map.Entry<String, JsonNode> entry : values.entrySet()) {
            if (!entry.getKey().startsWith(prefix)) {
                continue;
            }
            consumed.add(entry.getKey());
            String name = entry.getKey().substring(prefix.length());
            JsonNode value = entry.getValue();
            if (value.isNull() || !value.isValueNode()) {
                problem(entry.getKey(), "must be a single value, got " + value);
                continue;
            }
            entries.put(name, value.asText());
        }
        return entries;
    }

    /** The keys that were asked for, in the order they were asked. */
    Set<String> knownKeys()
    {
        return known;
    }

    /** Throws with every problem, including keys nobody asked for. */
    void finish()
    {
        for (String key : values.keySet()) {
            if (!known.contains(key) && !consumed.contains(key)) {
                problems.add("%s: unknown key%s".formatted(key, suggestion(key)));
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException(source, problems);
        }
    }

    private String suggestion(String unknown)
    {
        return known.stream()
                .min(Comparator.comparingInt(candidate -> distance(candidate, unknown)))
                .filter(candidate -> distance(candidate, unknown) <= Math.max(2, unknown.length() / 4))
                .map(candidate -> " (did you mean %s?)".formatted(candidate))
                .orElse("");
    }

    private static int distance(String a, String b)
    {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
