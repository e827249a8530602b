package dev.ferry.demo;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;

import dev.ferry.testkit.HmsWorkload;

import static java.util.Objects.requireNonNull;

/** What the demo measured, printed at its end. */
record DemoSummary(
        DemoOptions options,
        DemoSource.Filled filled,
        long rowsCopied,
        Duration backfill,
        long peakLagMillis,
        long writePauseMillis,
        String verification,
        Map<String, long[]> counts,
        long acknowledgedPartitions,
        HmsWorkload.Result workload,
        Duration elapsed)
{
    DemoSummary
    {
        requireNonNull(options, "options is null");
        requireNonNull(filled, "filled is null");
        requireNonNull(backfill, "backfill is null");
        requireNonNull(verification, "verification is null");
        counts = Map.copyOf(counts);
        requireNonNull(workload, "workload is null");
        requireNonNull(elapsed, "elapsed is null");
    }

    void print(PrintStream out)
    {
        long partitions = counts.containsKey("PARTITIONS") ? counts.get("PARTITIONS")[1] : filled.partitions();
        out.println();
        out.println("Summary");
        out.printf("  source          %,d databases, %,d tables, %,d partitions, filled through HMS in %s (%,.0f partitions/s)%n",
                options.databases(), options.tables(), filled.partitions(), duration(filled.elapsed()), filled.partitions() / seconds(filled.elapsed()));
        out.printf("  rows copied     %,d%n", rowsCopied);
        out.printf("  backfill rate   %,.0f rows/s (%s)%n", rowsCopied / seconds(backfill), duration(backfill));
        out.printf("  peak lag        %s%n", peakLagMillis < 0 ? "not reported" : "%,d ms".formatted(peakLagMillis));
        out.printf("  write pause     %s%n", writePauseMillis < 0 ? "not reported" : "%,d ms".formatted(writePauseMillis));
        out.printf("  verification    OK: %s; %,d partitions and their parameters and statistics counted equal; %,d acknowledged workload partitions present%n",
                verification, partitions, acknowledgedPartitions);
        out.printf("  workload        %,d calls by %d clients, %,d failed%n", workload.totalCalls(), options.clients(), workload.failures().size());
        out.printf("  time taken      %s%n", duration(elapsed));
    }

    static String duration(Duration duration)
    {
        long millis = duration.toMillis();
        if (millis < 60_000) {
            return "%.1f s".formatted(millis / 1000.0);
        }
        return "%d min %02d s".formatted(millis / 60_000, (millis % 60_000) / 1000);
    }

    private static double seconds(Duration duration)
    {
        return Math.max(duration.toNanos(), 1) / 1e9;
    }
}
