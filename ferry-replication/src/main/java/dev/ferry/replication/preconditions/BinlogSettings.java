package dev.ferry.replication.preconditions;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import dev.ferry.replication.ReplicationException;
import dev.ferry.replication.ReplicationException.Reason;
import dev.ferry.replication.source.SourceDialect;

import static dev.ferry.replication.ReplicationException.Reason.SOURCE_BINLOG_FORMAT;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_BINLOG_OFF;
import static dev.ferry.replication.ReplicationException.Reason.SOURCE_BINLOG_ROW_IMAGE;

/**
 * Checks that the source writes a binlog change data capture can read: every changed row, with all its columns
 * before and after the change. Each setting has its own reason; the message lists every setting that is wrong and
 * the statements that fix them. Also warns when the binlog is purged soon after it is written.
 */
final class BinlogSettings
{
    /** Below this, a binlog retention draws a warning: a Ferry stopped for a weekend could not resume. */
    static final Duration SHORT_RETENTION = Duration.ofDays(3);

    private record Requirement(String variable, String required, Reason reason) {}

    private static final List<Requirement> REQUIREMENTS = List.of(
            new Requirement("log_bin", "ON", SOURCE_BINLOG_OFF),
            new Requirement("binlog_format", "ROW", SOURCE_BINLOG_FORMAT),
            new Requirement("binlog_row_image", "FULL", SOURCE_BINLOG_ROW_IMAGE));

    private BinlogSettings() {}

    static void check(SourceSession session)
    {
        Map<String, String> values = globals(session);
        List<String> problems = new ArrayList<>();
        Reason first = null;
        for (Requirement requirement : REQUIREMENTS) {
            String value = values.getOrDefault(requirement.variable(), "not set");
            if (!requirement.required().equalsIgnoreCase(value)) {
                problems.add("%s is %s, needs %s".formatted(requirement.variable(), value, requirement.required()));
                first = first == null ? requirement.reason() : first;
            }
        }
        if (problems.isEmpty()) {
            return;
        }
        String fix = "ON".equalsIgnoreCase(values.get("log_bin"))
                // Sessions keep the binlog format and row image they started with: the metastore's pooled
                // connections would go on writing the old format until they are reopened.
                ? "run SET GLOBAL binlog_format = 'ROW' and SET GLOBAL binlog_row_image = 'FULL', put the same settings in the server's configuration so they survive a restart, then restart the Hive Metastore so that its open connections use them"
                : "turn the binlog on in the server's configuration (log_bin, binlog_format=ROW, binlog_row_image=FULL and a server_id) and restart the server";
        throw new ReplicationException(first, "the binlog of the source database at %s is not ready for change data capture: %s; %s"
                .formatted(session.address(), String.join("; ", problems), fix));
    }

    /**
     * A warning when the server purges binlogs sooner than {@link #SHORT_RETENTION}: capture reads the binlog as it is
     * written, but a Ferry that stops for longer than the retention cannot resume its migration.
     */
    static Optional<String> retentionWarning(SourceSession session, SourceDialect dialect, String database)
    {
        Map<String, String> values = globals(session);
        Optional<Duration> retention = retention(values);
        if (retention.isEmpty() || retention.get().compareTo(SHORT_RETENTION) >= 0) {
            return Optional.empty();
        }
        long binlogBytes = session.rows("SHOW BINARY LOGS").stream().mapToLong(row -> Long.parseLong(row.get(1))).sum();
        List<String> size = session.rows("SELECT coalesce(sum(TABLE_ROWS), 0), coalesce(sum(DATA_LENGTH + INDEX_LENGTH), 0) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", database).get(0);
        String setting = values.containsKey("binlog_expire_logs_seconds") && !"0".equals(values.get("binlog_expire_logs_seconds"))
                ? "binlog_expire_logs_seconds = " + values.get("binlog_expire_logs_seconds") : "expire_logs_days = " + values.get("expire_logs_days");
        return Optional.of(("the source purges its binlog after %s (%s; %,d bytes of binlog kept now): if Ferry stops for longer than that before the migration "
                + "completes, the binlog it resumes from is gone and the migration must start again. The metastore database %s holds about %,d rows (%,d bytes), "
                + "which the backfill copies while capture reads the binlog. Consider SET GLOBAL %s = %s")
                .formatted(human(retention.get()), setting, binlogBytes, database, Long.parseLong(size.get(0)), Long.parseLong(size.get(1)),
                        setting.startsWith("binlog_expire") ? "binlog_expire_logs_seconds" : "expire_logs_days",
                        setting.startsWith("binlog_expire") ? Long.toString(Duration.ofDays(7).toSeconds()) : "7"));
    }

    /** How long binlogs are kept; empty when they are never purged by age. */
    private static Optional<Duration> retention(Map<String, String> values)
    {
        long seconds = Long.parseLong(values.getOrDefault("binlog_expire_logs_seconds", "0"));
        if (seconds > 0) {
            return Optional.of(Duration.ofSeconds(seconds));
        }
        double days = Double.parseDouble(values.getOrDefault("expire_logs_days", "0"));
        if (days > 0) {
            return Optional.of(Duration.ofSeconds(Math.round(days * 86_400)));
        }
        return Optional.empty();
    }

    private static String human(Duration duration)
    {
        return duration.toHours() >= 48 ? duration.toDays() + " days" : duration.toHours() >= 1 ? duration.toHours() + " h" : duration.toMinutes() + " min";
    }

    /** Global values: the ones sessions opened from now on start with. SHOW GLOBAL VARIABLES needs no privilege. */
    private static Map<String, String> globals(SourceSession session)
    {
        Map<String, String> values = new HashMap<>();
        for (List<String> row : session.rows("SHOW GLOBAL VARIABLES WHERE Variable_name IN "
                + "('log_bin', 'binlog_format', 'binlog_row_image', 'binlog_expire_logs_seconds', 'expire_logs_days')")) {
            values.put(row.get(0).toLowerCase(Locale.ROOT), row.get(1));
        }
        return values;
    }
}
