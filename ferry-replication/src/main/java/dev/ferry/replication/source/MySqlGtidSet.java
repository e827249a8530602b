package dev.ferry.replication.source;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static java.util.Objects.requireNonNull;

/**
 * A MySQL GTID set ({@code @@gtid_executed}, {@code Executed_Gtid_Set}): for each source server UUID, the
 * transaction numbers included, as closed intervals, as in {@code 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7}. A
 * transaction's GTID is {@code uuid:number}. Unlike MariaDB's, a MySQL GTID set may have gaps, so membership is by
 * interval, not by a high-water mark.
 */
public record MySqlGtidSet(Map<String, List<Interval>> intervalsByUuid)
        implements SourcePosition
{
    private static final String UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
    static final Pattern GTID = SourcePosition.whole(UUID + ":\\d+");
    private static final String MEMBER = UUID + "(:\\d+(-\\d+)?)+";
    private static final Pattern SET = SourcePosition.whole(MEMBER + "(," + MEMBER + ")*");

    /** Transaction numbers {@code start} to {@code end}, both included. */
    public record Interval(long start, long end)
    {
        public Interval
        {
            if (start < 1 || end < start) {
                throw new IllegalArgumentException("invalid GTID interval %s-%s".formatted(start, end));
            }
        }
    }

    public MySqlGtidSet
    {
        requireNonNull(intervalsByUuid, "intervalsByUuid is null");
        Map<String, List<Interval>> normalised = new TreeMap<>();
        intervalsByUuid.forEach((uuid, intervals) -> normalised.put(uuid.toLowerCase(Locale.ROOT), merge(intervals)));
        intervalsByUuid = Map.copyOf(normalised);
    }

    static boolean looksLike(String text)
    {
        return SET.matcher(text).matches();
    }

    public static MySqlGtidSet parse(String text)
    {
        String compact = text.replaceAll("\\s", "");
        if (!SET.matcher(compact).matches()) {
            throw new IllegalArgumentException("not a MySQL GTID set: " + text);
        }
        Map<String, List<Interval>> intervals = new TreeMap<>();
        for (String member : compact.split(",")) {
            String[] parts = member.split(":");
            List<Interval> list = intervals.computeIfAbsent(parts[0].toLowerCase(Locale.ROOT), uuid -> new ArrayList<>());
            for (int i = 1; i < parts.length; i++) {
                int dash = parts[i].indexOf('-');
                long start = Long.parseLong(dash < 0 ? parts[i] : parts[i].substring(0, dash));
                long end = dash < 0 ? start : Long.parseLong(parts[i].substring(dash + 1));
                list.add(new Interval(start, end));
            }
        }
        return new MySqlGtidSet(intervals);
    }

    @Override
    public boolean includes(String transaction)
    {
        if (!GTID.matcher(transaction).matches()) {
            throw SourcePosition.incomparable(this, transaction);
        }
        int colon = transaction.lastIndexOf(':');
        long number = Long.parseLong(transaction.substring(colon + 1));
        for (Interval interval : intervalsByUuid.getOrDefault(transaction.substring(0, colon).toLowerCase(Locale.ROOT), List.of())) {
            if (interval.start() <= number && number <= interval.end()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public boolean includesAll(SourcePosition other)
    {
        if (other instanceof Empty) {
            return true;
        }
        if (!(other instanceof MySqlGtidSet set)) {
            throw SourcePosition.incomparable(this, other);
        }
        for (Map.Entry<String, List<Interval>> entry : set.intervalsByUuid.entrySet()) {
            List<Interval> mine = intervalsByUuid.getOrDefault(entry.getKey(), List.of());
            for (Interval wanted : entry.getValue()) {
                // Both lists are merged: an interval is covered only by a single one of mine.
                if (mine.stream().noneMatch(interval -> interval.start() <= wanted.start() && wanted.end() <= interval.end())) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public SourcePosition advancedTo(String transaction)
    {
        if (!GTID.matcher(transaction).matches()) {
            throw SourcePosition.incomparable(this, transaction);
        }
        return union(parse(transaction));
    }

    @Override
    public SourcePosition union(SourcePosition other)
    {
        if (other instanceof Empty) {
            return this;
        }
        if (!(other instanceof MySqlGtidSet set)) {
            throw SourcePosition.incomparable(this, other);
        }
        Map<String, List<Interval>> merged = new TreeMap<>();
        intervalsByUuid.forEach((uuid, intervals) -> merged.computeIfAbsent(uuid, key -> new ArrayList<>()).addAll(intervals));
        set.intervalsByUuid.forEach((uuid, intervals) -> merged.computeIfAbsent(uuid, key -> new ArrayList<>()).addAll(intervals));
        return new MySqlGtidSet(merged);
    }

    /** Sorted, with overlapping and adjacent intervals joined. */
    private static List<Interval> merge(List<Interval> intervals)
    {
        List<Interval> sorted = new ArrayList<>(intervals);
        sorted.sort((left, right) -> Long.compare(left.start(), right.start()));
        List<Interval> merged = new ArrayList<>();
        for (Interval interval : sorted) {
            if (!merged.isEmpty() && merged.get(merged.size() - 1).end() >= interval.start() - 1) {
                Interval last = merged.remove(merged.size() - 1);
                merged.add(new Interval(last.start(), Math.max(last.end(), interval.end())));
            }
            else {
                merged.add(interval);
            }
        }
        return List.copyOf(merged);
    }

    @Override
    public String toString()
    {
        return new TreeMap<>(intervalsByUuid).entrySet().stream()
                .map(entry -> entry.getKey() + entry.getValue().stream()
                        .map(interval -> interval.start() == interval.end() ? ":" + interval.start() : ":" + interval.start() + "-" + interval.end())
                        .collect(Collectors.joining()))
                .collect(Collectors.joining(","));
    }
}
