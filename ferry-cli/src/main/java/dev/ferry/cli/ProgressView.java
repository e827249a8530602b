package dev.ferry.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.stream.StreamSupport;

import com.fasterxml.jackson.databind.JsonNode;

import static java.util.Objects.requireNonNull;

/**
 * Where a migration stands, redrawn in place on a terminal (stage; backfill rows with rate and ETA; the largest
 * tables still copying; apply lag; the write pause once measured), or as a plain line when the state, phase or
 * stage changes and at most every {@code plainInterval} otherwise, for logs and pipes.
 */
final class ProgressView
{
    private static final int TABLES_SHOWN = 5;
    private static final int BAR = 24;
    private static final long RATE_WINDOW_NANOS = 20_000_000_000L;

    /** Rows copied at a moment, for the rate. */
    private record Point(long nanos, long rows) {}

    private final PrintStream out;
    private final boolean live;
    private final Duration plainInterval;
    private final Deque<Point> points = new ArrayDeque<>();
    private int drawn;
    private String lastKey = "";
    private long lastPrinted;

    ProgressView(PrintStream out, boolean live, Duration plainInterval)
    {
        this.out = requireNonNull(out, "out is null");
        this.live = live;
        this.plainInterval = requireNonNull(plainInterval, "plainInterval is null");
    }

    void show(JsonNode execution)
    {
        show(execution, System.nanoTime());
    }

    void show(JsonNode execution, long nanos)
    {
        JsonNode backfill = execution.path("replication").path("backfill");
        if (backfill.has("rowsCopied")) {
            points.addLast(new Point(nanos, backfill.path("rowsCopied").asLong()));
            while (points.size() > 2 && nanos - points.peekFirst().nanos() > RATE_WINDOW_NANOS) {
                points.removeFirst();
            }
        }
        if (live) {
            List<String> lines = lines(execution);
            StringBuilder text = new StringBuilder();
            if (drawn > 0) {
                // Back to the first line drawn last time, and clear from there down.
                text.append("\033[").append(drawn).append("F\033[J");
            }
            lines.forEach(line -> text.append(line).append(System.lineSeparator()));
            out.print(text);
            out.flush();
            drawn = lines.size();
            return;
        }
        String key = execution.path("state").asText() + "/" + execution.path("phase").asText() + "/" + execution.path("replication").path("stage").asText();
        if (!key.equals(lastKey) || nanos - lastPrinted >= plainInterval.toNanos()) {
            out.println(line(execution));
            out.flush();
            lastKey = key;
            lastPrinted = nanos;
        }
    }

    /** Rows per second over the last 20 seconds, once there are two points a second apart. */
    Optional<Double> rate()
    {
        if (points.size() < 2) {
            return Optional.empty();
        }
        Point first = points.peekFirst();
        Point last = points.peekLast();
        long nanos = last.nanos() - first.nanos();
        return nanos < 1_000_000_000L ? Optional.empty() : Optional.of((last.rows() - first.rows()) * 1e9 / nanos);
    }

    /** The block a terminal shows. */
    List<String> lines(JsonNode execution)
    {
        List<String> lines = new ArrayList<>();
        JsonNode replication = execution.path("replication");
        String stage = replication.path("stage").asText("");
        lines.add("Migration execution %s  %s, phase %s%s".formatted(Text.id(execution.path("name").asText()), execution.path("state").asText(),
                execution.path("phase").asText(), stage.isEmpty() ? "" : ", stage " + stage));
        if (execution.hasNonNull("stateMessage")) {
            lines.add("  " + execution.get("stateMessage").asText());
        }
        JsonNode backfill = replication.path("backfill");
        // Before the snapshot is taken there is nothing to count yet.
        if (backfill.path("rowsTotal").asLong() > 0) {
            long copied = backfill.path("rowsCopied").asLong();
            long total = backfill.path("rowsTotal").asLong();
            lines.add("Backfill     %s %3d%%  %s of %s rows%s".formatted(Text.bar(total == 0 ? 0 : (double) copied / total, BAR), Text.percent(copied, total),
                    Text.number(copied), Text.number(total), stage.equals("BACKFILL") ? speed(copied, total) : ""));
            List<JsonNode> tables = StreamSupport.stream(backfill.path("tables").spliterator(), false).toList();
            long done = tables.stream().filter(table -> table.path("done").asBoolean()).count();
            tables.stream()
                    .filter(table -> !table.path("done").asBoolean() && table.path("rowsTotal").asLong() > 0)
                    .sorted(Comparator.comparingLong((JsonNode table) -> table.path("rowsTotal").asLong()).reversed())
                    .limit(TABLES_SHOWN)
                    .forEach(table -> {
                        long tableCopied = table.path("rowsCopied").asLong();
                        long tableTotal = table.path("rowsTotal").asLong();
                        lines.add("  %-26s %s %3d%%  %s of %s".formatted(table.path("table").asText(), Text.bar(tableTotal == 0 ? 0 : (double) tableCopied / tableTotal, 12),
                                Text.percent(tableCopied, tableTotal), Text.number(tableCopied), Text.number(tableTotal)));
                    });
            lines.add("  %d of %d tables copied".formatted(done, tables.size()));
        }
        if (replication.has("lagMillis")) {
            lines.add("Apply lag    %s  (%s events applied)".formatted(Text.millis(replication.path("lagMillis").asLong()), Text.number(replication.path("eventsApplied").asLong())));
        }
        JsonNode verification = replication.path("lastVerification");
        if (verification.has("tablesCompared")) {
            lines.add("Verified     %s differences in the last verification (%s tables compared)".formatted(verification.path("differences").asText(),
                    verification.path("tablesCompared").asText()));
        }
        if (replication.has("writePauseMillis")) {
            lines.add("Write pause  " + Text.millis(replication.path("writePauseMillis").asLong()));
        }
        return lines;
    }

    /** The line a log or pipe gets. */
    String line(JsonNode execution)
    {
        JsonNode replication = execution.path("replication");
        StringBuilder line = new StringBuilder("%s %s".formatted(execution.path("state").asText(), execution.path("phase").asText()));
        if (replication.has("stage")) {
            line.append(' ').append(replication.path("stage").asText());
        }
        JsonNode backfill = replication.path("backfill");
        if (backfill.path("rowsTotal").asLong() > 0) {
            long copied = backfill.path("rowsCopied").asLong();
            long total = backfill.path("rowsTotal").asLong();
            line.append("; backfill %d%% (%s of %s rows%s)".formatted(Text.percent(copied, total), Text.number(copied), Text.number(total),
                    replication.path("stage").asText().equals("BACKFILL") ? speed(copied, total) : ""));
        }
        if (replication.has("lagMillis")) {
            line.append("; apply lag ").append(Text.millis(replication.path("lagMillis").asLong()));
        }
        if (replication.has("writePauseMillis")) {
            line.append("; write pause ").append(Text.millis(replication.path("writePauseMillis").asLong()));
        }
        if (execution.hasNonNull("stateMessage")) {
            line.append("; ").append(execution.get("stateMessage").asText());
        }
        return line.toString();
    }

    private String speed(long copied, long total)
    {
        Optional<Double> rate = rate();
        if (rate.isEmpty() || rate.get() <= 0) {
            return "";
        }
        long eta = (long) Math.ceil((total - copied) / rate.get());
        return ", %s rows/s, ETA %s".formatted(Text.number(Math.round(rate.get())), Text.seconds(Math.max(0, eta)));
    }
}
