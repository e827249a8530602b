package dev.ferry.hivetests;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.ferry.hivetests.HiveTestRun.Outcome;
import dev.ferry.hivetests.HiveTestRun.Result;

/**
 * The counts of a run of Hive's tests, per class and per target, as a Markdown table. A plain metastore whose outcomes
 * come from the recorded baseline ({@link Baseline}) rather than from this run has its column marked "recorded", and
 * no times.
 */
final class Summary
{
    private static final List<String> TARGETS = List.of(Targets.FERRY_POSTGRES, Targets.HMS_POSTGRES, Targets.FERRY_MARIADB, Targets.HMS_MARIADB);

    private Summary() {}

    /**
     * @param recorded the targets whose results are the recorded baseline's
     */
    static String of(List<Class<?>> classes, Map<String, List<Result>> results, Set<String> recorded)
    {
        StringBuilder text = new StringBuilder("| Hive test class | tests | ");
        TARGETS.forEach(target -> text.append(target)
                .append(recorded.contains(target) ? " (recorded) passed / failed / skipped | " : " passed / failed / skipped (s) | "));
        text.append("\n|---|---|");
        TARGETS.forEach(target -> text.append("---|"));
        text.append("\n");
        Map<String, int[]> totals = new TreeMap<>();
        int totalTests = 0;
        for (Class<?> testClass : classes) {
            List<Result> run = results.get(testClass.getSimpleName());
            if (run == null) {
                continue;
            }
            long tests = run.stream().map(Result::method).distinct().count();
            totalTests += (int) tests;
            text.append("| ").append(testClass.getSimpleName()).append(" | ").append(tests).append(" | ");
            for (String target : TARGETS) {
                int[] counts = new int[3];
                long millis = 0;
                for (Result result : run) {
                    if (result.target().equals(target) || result.target().equals("*")) {
                        counts[result.outcome().ordinal()]++;
                        millis += result.millis();
                    }
                }
                int[] total = totals.computeIfAbsent(target, name -> new int[4]);
                for (Outcome outcome : Outcome.values()) {
                    total[outcome.ordinal()] += counts[outcome.ordinal()];
                }
                total[3] += (int) (millis / 1000);
                text.append(counts[0]).append(" / ").append(counts[1]).append(" / ").append(counts[2])
                        .append(recorded.contains(target) ? "" : " (" + millis / 1000 + ")").append(" | ");
            }
            text.append("\n");
        }
        text.append("| **all** | ").append(totalTests).append(" | ");
        for (String target : TARGETS) {
            int[] total = totals.getOrDefault(target, new int[4]);
            text.append("**").append(total[0]).append("** / ").append(total[1]).append(" / ").append(total[2])
                    .append(recorded.contains(target) ? "" : " (" + total[3] + ")").append(" | ");
        }
        text.append("\n");
        if (!recorded.isEmpty()) {
            text.append("\n").append(String.join(" and ", TARGETS.stream().filter(recorded::contains).toList()))
                    .append(": recorded, not run: the outcomes of a plain Hive Metastore 4.0.1 in ").append(Baseline.SOURCE)
                    .append(" (-Dhive-tests.baseline=live runs them).\n");
        }
        return text.toString();
    }
}
