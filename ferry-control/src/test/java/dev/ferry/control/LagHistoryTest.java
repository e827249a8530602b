package dev.ferry.control;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LagHistoryTest
{
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void keepsEverySampleUpToItsCapacity()
    {
        LagHistory history = new LagHistory(4, Duration.ofSeconds(1));
        for (int i = 0; i < 4; i++) {
            history.record(START.plusSeconds(i), 10 * i);
        }
        assertThat(history.snapshot().samples()).extracting(LagHistory.Sample::lagMillis).containsExactly(0L, 10L, 20L, 30L);
        assertThat(history.snapshot().interval()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void mergesPairsKeepingThePeakOnceFullAndCoarsensFromThenOn()
    {
        LagHistory history = new LagHistory(4, Duration.ofSeconds(1));
        long[] lags = {5, 900, 7, 8, 3};
        for (int i = 0; i < lags.length; i++) {
            history.record(START.plusSeconds(i), lags[i]);
        }
        LagHistory.Snapshot halved = history.snapshot();
        assertThat(halved.interval()).isEqualTo(Duration.ofSeconds(2));
        assertThat(halved.samples()).containsExactly(
                new LagHistory.Sample(START, 900),
                new LagHistory.Sample(START.plusSeconds(2), 8),
                new LagHistory.Sample(START.plusSeconds(4), 3));

        // One second after the last kept sample is within its two-second interval: it widens it, keeping the peak.
        history.record(START.plusSeconds(5), 40);
        history.record(START.plusSeconds(6), 1);
        assertThat(history.snapshot().samples()).containsExactly(
                new LagHistory.Sample(START, 900),
                new LagHistory.Sample(START.plusSeconds(2), 8),
                new LagHistory.Sample(START.plusSeconds(4), 40),
                new LagHistory.Sample(START.plusSeconds(6), 1));
    }

    @Test
    void aDayOfSamplesStaysWithinCapacityAndKeepsItsPeak()
    {
        LagHistory history = new LagHistory(720, Duration.ofSeconds(1));
        for (int second = 0; second < 86_400; second++) {
            history.record(START.plusSeconds(second), second == 50_000 ? 123_456 : 20);
        }
        LagHistory.Snapshot day = history.snapshot();
        assertThat(day.samples()).hasSizeLessThanOrEqualTo(720).hasSizeGreaterThan(300);
        assertThat(day.samples().get(0).time()).isEqualTo(START);
        assertThat(day.samples()).extracting(LagHistory.Sample::lagMillis).contains(123_456L);
        assertThat(day.interval()).isEqualTo(Duration.ofSeconds(128));
    }

    @Test
    void refusesAnOddCapacityAndANegativeLag()
    {
        assertThatThrownBy(() -> new LagHistory(3, Duration.ofSeconds(1))).hasMessage("capacity must be even and at least 2, got 3");
        assertThatThrownBy(() -> new LagHistory(4, Duration.ofSeconds(1)).record(START, -1)).hasMessage("lagMillis is negative: -1");
    }
}
