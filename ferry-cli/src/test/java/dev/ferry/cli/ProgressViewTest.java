package dev.ferry.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProgressViewTest
{
    private static final long SECOND = 1_000_000_000L;

    private static JsonNode execution(String state, String stage, long copied, String extra)
    {
        try {
            return FerryApi.JSON.readTree("""
                    {"name": "projects/p/locations/l/services/s/migrationExecutions/e-1", "state": "%s", "phase": "REPLICATION",
                     "replication": {"stage": "%s", "backfill": {"rowsCopied": %s, "rowsTotal": 1000, "tables": [
                       {"table": "PARTITIONS", "rowsCopied": %s, "rowsTotal": 800, "done": false},
                       {"table": "SDS", "rowsCopied": 200, "rowsTotal": 200, "done": true},
                       {"table": "FUNCS", "rowsCopied": 0, "rowsTotal": 0, "done": false}]}%s}}
                    """.formatted(state, stage, copied, copied - 200, extra));
        }
        catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aTerminalGetsRateEtaAndTheLargestTablesStillCopyingRedrawnInPlace()
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProgressView view = new ProgressView(new PrintStream(out, true, StandardCharsets.UTF_8), true, Duration.ofSeconds(10));
        view.show(execution("RUNNING", "BACKFILL", 300, ""), 0);
        view.show(execution("RUNNING", "BACKFILL", 500, ""), 2 * SECOND);

        assertThat(view.rate()).hasValue(100.0);
        assertThat(view.lines(execution("RUNNING", "BACKFILL", 500, ""))).containsExactly(
                "Migration execution e-1  RUNNING, phase REPLICATION, stage BACKFILL",
                "Backfill     [############............]  50%  500 of 1,000 rows, 100 rows/s, ETA 5 s",
                "  PARTITIONS                 [#####.......]  37%  300 of 800",
                "  1 of 3 tables copied");
        // The second block starts by going back up over the four lines of the first, and clearing them.
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("tables copied" + System.lineSeparator() + "\033[4F\033[J");
    }

    @Test
    void elsewherePlainLinesOnEveryChangeAndAtMostEveryIntervalOtherwise()
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ProgressView view = new ProgressView(new PrintStream(out, true, StandardCharsets.UTF_8), false, Duration.ofSeconds(10));
        view.show(execution("RUNNING", "BACKFILL", 300, ""), 0);
        view.show(execution("RUNNING", "BACKFILL", 400, ""), 3 * SECOND);
        view.show(execution("RUNNING", "BACKFILL", 500, ""), 11 * SECOND);
        view.show(execution("RUNNING", "STREAMING", 1000, ", \"lagMillis\": 12, \"eventsApplied\": 3"), 12 * SECOND);

        assertThat(out.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                "RUNNING REPLICATION BACKFILL; backfill 30% (300 of 1,000 rows)",
                "RUNNING REPLICATION BACKFILL; backfill 50% (500 of 1,000 rows, 18 rows/s, ETA 28 s)",
                "RUNNING REPLICATION STREAMING; backfill 100% (1,000 of 1,000 rows); apply lag 12 ms");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("\033[");
    }

    @Test
    void durationsReadAsPeopleSayThem()
    {
        assertThat(Text.seconds(45)).isEqualTo("45 s");
        assertThat(Text.seconds(185)).isEqualTo("3 min 05 s");
        assertThat(Text.seconds(7_800)).isEqualTo("2 h 10 min");
    }
}
