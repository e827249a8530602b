package dev.ferry.control;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * A migration execution's apply lag over time, in bounded memory: samples are kept as they come until there are
 * {@code capacity} of them; then neighbours are merged in pairs (the earlier time, the larger lag, so that no peak is
 * lost) and the interval between kept samples doubles. However long a migration runs, the history covers all of it
 * with at most {@code capacity} samples, finer for a short one.
 */
public final class LagHistory
{
    /** The largest lag sampled in the interval that starts at {@code time}. */
    public record Sample(Instant time, long lagMillis)
    {
        public Sample
        {
            requireNonNull(time, "time is null");
            if (lagMillis < 0) {
                throw new IllegalArgumentException("lagMillis is negative: " + lagMillis);
            }
        }
    }

    /** The samples kept, oldest first, and the least interval between two of them. */
    public record Snapshot(List<Sample> samples, Duration interval)
    {
        public Snapshot
        {
            samples = List.copyOf(samples);
            requireNonNull(interval, "interval is null");
        }
    }

    private final int capacity;
    private final List<Sample> samples = new ArrayList<>();
    private Duration interval;

    /**
     * @param capacity the most samples kept (even, at least 2)
     * @param interval how often samples are taken; a sample sooner than this after the last kept one is merged into it
     */
    public LagHistory(int capacity, Duration interval)
    {
        if (capacity < 2 || capacity % 2 != 0) {
            throw new IllegalArgumentException("capacity must be even and at least 2, got " + capacity);
        }
        requireNonNull(interval, "interval is null");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive, got " + interval);
        }
        this.capacity = capacity;
        this.interval = interval;
    }

    public synchronized void record(Instant time, long lagMillis)
    {
        Sample sample = new Sample(time, lagMillis);
        if (!samples.isEmpty()) {
            Sample last = samples.get(samples.size() - 1);
            if (time.isBefore(last.time().plus(interval))) {
                // Too soon after the last kept sample at this resolution: it widens that one, keeping the peak.
                samples.set(samples.size() - 1, new Sample(last.time(), Math.max(last.lagMillis(), lagMillis)));
                return;
            }
        }
        samples.add(sample);
        if (samples.size() > capacity) {
            halve();
        }
    }

    private void halve()
    {
        List<Sample> merged = new ArrayList<>(capacity / 2 + 1);
        for (int i = 0; i + 1 < samples.size(); i += 2) {
            Sample first = samples.get(i);
            Sample second = samples.get(i + 1);
            merged.add(new Sample(first.time(), Math.max(first.lagMillis(), second.lagMillis())));
        }
        if (samples.size() % 2 != 0) {
            merged.add(samples.get(samples.size() - 1));
        }
        samples.clear();
        samples.addAll(merged);
        interval = interval.multipliedBy(2);
    }

    public synchronized Snapshot snapshot()
    {
        return new Snapshot(samples, interval);
    }
}
