package dev.ferry.testkit;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests of {@code /metrics}: the
 * Prometheus Java client writes the format but has no reader, and a test that only greps lines would pass output
 * Prometheus rejects. Fails, naming the line, on anything Prometheus would refuse or that is inconsistent: a bad
 * metric or label name, a bad escape, a value that is no float, a sample outside its family or before its
 * {@code # TYPE}, a family declared twice, a repeated series, a histogram without {@code le}, with buckets out of
 * order or not cumulative, or whose {@code +Inf} bucket is not its count.
 */
public final class PrometheusText
{
    private static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One sample: the series' name (with any suffix such as {@code _bucket}), its labels and its value. */
    public record Sample(String name, Map<String, String> labels, double value)
    {
        public Sample
        {
            labels = Map.copyOf(labels);
        }

        /** The series as Prometheus identifies it: name and labels in name order. */
        public String series()
        {
            return name + new TreeMap<>(labels);
        }
    }

    /** One family: its name, type, help text and samples in the order written. */
    public record Family(String name, String type, String help, List<Sample> samples)
    {
        /** The samples of one series name of this family ({@code NAME_count}, say). */
        public List<Sample> samples(String seriesName)
        {
            return samples.stream().filter(sample -> sample.name().equals(seriesName)).toList();
        }
    }

    private final Map<String, Family> families;

    private PrometheusText(Map<String, Family> families)
    {
        this.families = families;
    }

    public Map<String, Family> families()
    {
        return families;
    }

    public Optional<Family> family(String name)
    {
        return Optional.ofNullable(families.get(name));
    }

    /** Every series of every family, as {@link Sample#series()} names them. */
    public Set<String> series()
    {
        Set<String> series = new HashSet<>();
        families.values().forEach(family -> family.samples().forEach(sample -> series.add(sample.series())));
        return series;
    }

    /** The value of one series, if it is there. */
    public Optional<Double> value(String name, Map<String, String> labels)
    {
        return families.values().stream().flatMap(family -> family.samples().stream())
                .filter(sample -> sample.name().equals(name) && sample.labels().equals(labels))
                .map(Sample::value).findFirst();
    }

    /** Reads {@code text}; throws {@link IllegalArgumentException} naming the first line that breaks the format. */
    public static PrometheusText parse(String text)
    {
        requireNonNull(text, "text is null");
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("the exposition does not end with a line feed");
        }
        Map<String, String> helps = new LinkedHashMap<>();
        Map<String, String> types = new LinkedHashMap<>();
        Map<String, List<Sample>> samples = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        String current = null;
        String[] lines = text.isEmpty() ? new String[0] : text.split("\n", -1);
        for (int number = 1; number < lines.length; number++) {
            String line = lines[number - 1];
            try {
                if (line.isEmpty()) {
                    continue;
                }
                if (line.startsWith("#")) {
                    String[] parts = line.split(" ", 4);
                    if (parts.length >= 3 && parts[0].equals("#") && (parts[1].equals("HELP") || parts[1].equals("TYPE"))) {
                        String name = metricName(parts[2]);
                        String rest = parts.length == 4 ? parts[3] : "";
                        if (parts[1].equals("TYPE")) {
                            if (!TYPES.contains(rest)) {
                                throw new IllegalArgumentException("unknown type " + rest);
                            }
                            if (types.putIfAbsent(name, rest) != null || samples.containsKey(name)) {
                                throw new IllegalArgumentException("family %s is declared twice or after its samples".formatted(name));
                            }
                            samples.put(name, new ArrayList<>());
                            current = name;
                        }
                        else {
                            if (helps.putIfAbsent(name, unescapeHelp(rest)) != null) {
                                throw new IllegalArgumentException("family %s has two HELP lines".formatted(name));
                            }
                        }
                    }
                    continue;
                }
                Sample sample = sample(line);
                if (current == null || !belongsTo(sample.name(), current, types.get(current))) {
                    throw new IllegalArgumentException("sample %s is not of the family declared before it (%s)".formatted(sample.name(), current));
                }
                if (!seen.add(sample.series())) {
                    throw new IllegalArgumentException("series %s is repeated".formatted(sample.series()));
                }
                samples.get(current).add(sample);
            }
            catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line %s: %s: %s".formatted(number, e.getMessage(), line), e);
            }
        }
        Map<String, Family> families = new LinkedHashMap<>();
        for (Map.Entry<String, List<Sample>> entry : samples.entrySet()) {
            Family family = new Family(entry.getKey(), types.get(entry.getKey()), helps.getOrDefault(entry.getKey(), ""), List.copyOf(entry.getValue()));
            if (family.type().equals("histogram")) {
                checkHistogram(family);
            }
            families.put(family.name(), family);
        }
        return new PrometheusText(Map.copyOf(families));
    }

    private static boolean belongsTo(String sampleName, String family, String type)
    {
        return switch (type) {
            case "histogram" -> sampleName.equals(family + "_bucket") || sampleName.equals(family + "_sum") || sampleName.equals(family + "_count");
            case "summary" -> sampleName.equals(family) || sampleName.equals(family + "_sum") || sampleName.equals(family + "_count");
            default -> sampleName.equals(family);
        };
    }

    /** Buckets per label set: {@code le} present, increasing, counts cumulative, {@code +Inf} last and equal to the count. */
    private static void checkHistogram(Family family)
    {
        Map<Map<String, String>, List<Sample>> buckets = new LinkedHashMap<>();
        for (Sample sample : family.samples(family.name() + "_bucket")) {
            String le = sample.labels().get("le");
            if (le == null) {
                throw new IllegalArgumentException("histogram %s has a bucket without le: %s".formatted(family.name(), sample.series()));
            }
            Map<String, String> labels = new LinkedHashMap<>(sample.labels());
            labels.remove("le");
            buckets.computeIfAbsent(Map.copyOf(labels), ignored -> new ArrayList<>()).add(sample);
        }
        for (Sample count : family.samples(family.name() + "_count")) {
            List<Sample> series = buckets.get(count.labels());
            if (series == null || series.isEmpty()) {
                throw new IllegalArgumentException("histogram %s has no buckets for %s".formatted(family.name(), count.series()));
            }
            double bound = Double.NEGATIVE_INFINITY;
            double cumulative = 0;
            for (Sample bucket : series) {
                double le = number(bucket.labels().get("le"));
                if (!(le > bound) || bucket.value() < cumulative) {
                    throw new IllegalArgumentException("histogram %s has buckets out of order or not cumulative at %s".formatted(family.name(), bucket.series()));
                }
                bound = le;
                cumulative = bucket.value();
            }
            if (bound != Double.POSITIVE_INFINITY || cumulative != count.value()) {
                throw new IllegalArgumentException("histogram %s: the +Inf bucket of %s is not its count %s".formatted(family.name(), count.series(), count.value()));
            }
            if (family.samples(family.name() + "_sum").stream().noneMatch(sum -> sum.labels().equals(count.labels()))) {
                throw new IllegalArgumentException("histogram %s has no sum for %s".formatted(family.name(), count.series()));
            }
        }
        if (buckets.size() != family.samples(family.name() + "_count").size()) {
            throw new IllegalArgumentException("histogram %s has buckets without a count".formatted(family.name()));
        }
    }

    private static Sample sample(String line)
    {
        int position = 0;
        while (position < line.length() && line.charAt(position) != '{' && line.charAt(position) != ' ') {
            position++;
        }
        String name = metricName(line.substring(0, position));
        Map<String, String> labels = new LinkedHashMap<>();
        if (position < line.length() && line.charAt(position) == '{') {
            position++;
            while (line.charAt(position) != '}') {
                int equals = line.indexOf('=', position);
                if (equals < 0) {
                    throw new IllegalArgumentException("a label without =");
                }
                String label = line.substring(position, equals);
                if (!LABEL_NAME.matcher(label).matches() || label.startsWith("__")) {
                    throw new IllegalArgumentException("bad label name " + label);
                }
                position = equals + 1;
                if (position >= line.length() || line.charAt(position) != '"') {
                    throw new IllegalArgumentException("label %s has no quoted value".formatted(label));
                }
                position++;
                StringBuilder value = new StringBuilder();
                while (true) {
                    if (position >= line.length()) {
                        throw new IllegalArgumentException("label %s's value is not closed".formatted(label));
                    }
                    char c = line.charAt(position++);
                    if (c == '"') {
                        break;
                    }
                    if (c == '\\') {
                        char escaped = position < line.length() ? line.charAt(position++) : ' ';
                        switch (escaped) {
                            case '\\' -> value.append('\\');
                            case '"' -> value.append('"');
                            case 'n' -> value.append('\n');
                            default -> throw new IllegalArgumentException("bad escape \\" + escaped);
                        }
                    }
                    else {
                        value.append(c);
                    }
                }
                if (labels.put(label, value.toString()) != null) {
                    throw new IllegalArgumentException("label %s is repeated".formatted(label));
                }
                if (position >= line.length()) {
                    throw new IllegalArgumentException("the label set is not closed");
                }
                if (line.charAt(position) == ',') {
                    position++;
                }
                else if (line.charAt(position) != '}') {
                    throw new IllegalArgumentException("labels are not separated by commas");
                }
            }
            position++;
        }
        if (position >= line.length() || line.charAt(position) != ' ') {
            throw new IllegalArgumentException("no space before the value");
        }
        String[] rest = line.substring(position + 1).split(" ", -1);
        if (rest.length > 2) {
            throw new IllegalArgumentException("more than a value and a timestamp");
        }
        double value = number(rest[0]);
        if (rest.length == 2) {
            try {
                Long.parseLong(rest[1]);
            }
            catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad timestamp " + rest[1]);
            }
        }
        return new Sample(name, labels, value);
    }

    private static String metricName(String name)
    {
        if (!METRIC_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("bad metric name " + name);
        }
        return name;
    }

    /** A sample value as Go's ParseFloat takes it: decimal or exponent notation, {@code +Inf}, {@code -Inf}, {@code NaN}. */
    private static double number(String text)
    {
        switch (text) {
            case "+Inf", "Inf" -> {
                return Double.POSITIVE_INFINITY;
            }
            case "-Inf" -> {
                return Double.NEGATIVE_INFINITY;
            }
            case "NaN" -> {
                return Double.NaN;
            }
            default -> {
                if (!text.matches("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?")) {
                    throw new IllegalArgumentException("bad value " + text);
                }
                return Double.parseDouble(text);
            }
        }
    }

    private static String unescapeHelp(String help)
    {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < help.length(); i++) {
            char c = help.charAt(i);
            if (c == '\\' && i + 1 < help.length() && (help.charAt(i + 1) == '\\' || help.charAt(i + 1) == 'n')) {
                out.append(help.charAt(++i) == 'n' ? '\n' : '\\');
            }
            else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
