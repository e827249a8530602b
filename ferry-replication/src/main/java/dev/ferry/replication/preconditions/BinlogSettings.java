package dev.ferry.replication.preconditions;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.ferry.replication.ReplicationException;

import static dev.ferry.replication.ReplicationException.Reason.SOURCE_BINLOG_NOT_READY;

/**
 * Checks that the source writes a binlog change data capture can read: every changed row, with all its columns
 * before and after the change.
 */
final class BinlogSettings
{
    private record Requirement(String variable, String required) {}

    private static final List<Requirement> REQUIREMENTS = List.of(
            new Requirement("log_bin", "ON"),
            new Requirement("binlog_format", "ROW"),
            new Requirement("binlog_row_image", "FULL"));

    private BinlogSettings() {}

    static void check(SourceSession session)
    {
        // Global values: the ones sessions opened from now on start with. SHOW GLOBAL VARIABLES needs no privilege.
        Map<String, String> values = new HashMap<>();
        for (List<String> row : session.rows("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('log_bin', 'binlog_format', 'binlog_row_image')")) {
            values.put(row.get(0).toLowerCase(Locale.ROOT), row.get(1));
        }
        List<String> problems = new ArrayList<>();
        for (Requirement requirement : REQUIREMENTS) {
            String value = values.getOrDefault(requirement.variable(), "not set");
            if (!requirement.required().equalsIgnoreCase(value)) {
                problems.add("%s is %s, needs %s".formatted(requirement.variable(), value, requirement.required()));
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
        throw new ReplicationException(SOURCE_BINLOG_NOT_READY, "the binlog of the source database at %s is not ready for change data capture: %s; %s"
                .formatted(session.address(), String.join("; ", problems), fix));
    }
}
