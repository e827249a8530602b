package dev.ferry.demo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ferry.engine.Engine;
import dev.ferry.engine.EngineHost;
import dev.ferry.server.FerryServer;
import dev.ferry.server.config.ServerConfig;
import dev.ferry.server.owndb.OwnDatabase;
import dev.ferry.testkit.HmsWorkload;

import static java.util.Objects.requireNonNull;

/**
 * One run of the demo: source, Ferry, startMigration, workload, progress, completeMigration, verification. Every
 * process and directory it starts is registered with {@link Resources}, which the caller closes.
 */
final class Demo
{
    private static final String SERVICE = "projects/ferry/locations/local/services/metastore";
    private static final Duration POLL = Duration.ofMillis(250);
    private static final Duration STREAMING_BEFORE_CUTOVER = Duration.ofSeconds(3);
    private static final Duration WORKLOAD_AFTER_CUTOVER = Duration.ofSeconds(2);
    private static final Duration STEP_TIMEOUT = Duration.ofMinutes(30);

    /** The metastore tables compared by count between source and own database, over the source's Hive databases. */
    private static final Map<String, String> COUNTS = counts();

    private final DemoOptions options;
    private final Path directory;
    private final ProgressLine progress;
    private final Resources resources;

    Demo(DemoOptions options, Path directory, ProgressLine progress, Resources resources)
    {
        this.options = requireNonNull(options, "options is null");
        this.directory = requireNonNull(directory, "directory is null");
        this.progress = requireNonNull(progress, "progress is null");
        this.resources = requireNonNull(resources, "resources is null");
    }

    DemoSummary run()
            throws Exception
    {
        long begin = System.nanoTime();

        progress.show(-1, "starting %s (binlog on) and making Hive's schema with its schema tool".formatted(options.source()), "");
        EngineHost host = DemoSource.engineHost();
        DemoSource source = DemoSource.start(options.source(), host, directory.resolve("source-warehouse"));
        resources.add("the source " + source.description(), source::close);
        progress.finish("source: %s on port %d, Hive schema %s".formatted(source.description(), source.port(), host.schemaVersion()));

        DemoSource.Filled filled;
        try (Engine engine = host.start(source.settings(directory.resolve("source-warehouse")))) {
            filled = source.fill(engine, options, made -> progress.show(options.partitions() == 0 ? 1 : made / (double) options.partitions(),
                    "filling the source through HMS", "%,d/%,d partitions".formatted(made, options.partitions())));
        }
        progress.finish("source: %,d databases, %,d tables, %,d partitions with parameters and column statistics, made through HMS in %s (%,.0f partitions/s, %d threads)"
                .formatted(options.databases(), options.tables(), filled.partitions(), DemoSummary.duration(filled.elapsed()),
                        filled.partitions() / seconds(filled.elapsed()), options.fillThreads()));

        progress.show(-1, "starting Ferry (embedded PostgreSQL, HMS engine, Thrift, HTTP)", "");
        Path data = directory.resolve("ferry");
        FerryServer server = new FerryServer(ServerConfig.parse("ferry demo", """
                data-directory: %s
                thrift:
                  host: 127.0.0.1
                  port: 0
                http:
                  host: 127.0.0.1
                  port: 0
                migration:
                  retry-interval: 2s
                """.formatted(data.toAbsolutePath())));
        resources.add("Ferry", server::close);
        server.start();
        FerryRest rest = new FerryRest(server.httpPort(), Files.readString(data.resolve("admin-token")).trim());
        progress.finish("ferry: thrift://127.0.0.1:%d, http://127.0.0.1:%d, own database: embedded PostgreSQL".formatted(server.thriftPort(), server.httpPort()));

        JsonNode start = rest.post(SERVICE + ":startMigration", source.startMigrationBody(UUID.randomUUID().toString(), data.resolve("staging")));
        JsonNode started = awaitOperation(rest, start.path("name").asText(), "startMigration");
        long startedAt = System.nanoTime();
        String execution = started.path("response").path("name").asText();
        progress.finish("startMigration: %s RUNNING, Ferry serves from the source".formatted(execution));

        HmsWorkload workload = HmsWorkload.start("127.0.0.1", server.thriftPort(), options.clients(), "live");
        resources.addInProcess("the HMS workload", workload::close);
        progress.finish("workload: %d HMS clients calling Ferry on its Thrift port".formatted(options.clients()));

        Replicated replicated = awaitStreaming(rest, execution, startedAt);
        progress.finish("backfill: %,d rows copied in %s (%,.0f rows/s)".formatted(replicated.rowsCopied, DemoSummary.duration(replicated.backfill),
                replicated.rowsCopied / seconds(replicated.backfill)));

        JsonNode complete = rest.post(SERVICE + ":completeMigration", "{\"requestId\": \"%s\"}".formatted(UUID.randomUUID()));
        awaitOperation(rest, complete.path("name").asText(), "completeMigration", execution, replicated);
        JsonNode done = rest.get(execution);
        if (!done.path("state").asText().equals("SUCCEEDED")) {
            throw new IllegalStateException("completeMigration finished but %s is %s".formatted(execution, done.path("state").asText()));
        }
        long writePause = done.path("replication").path("writePauseMillis").asLong(-1);
        progress.finish("completeMigration: SUCCEEDED, writes held %,d ms, Ferry serves from its own PostgreSQL".formatted(writePause));

        Thread.sleep(WORKLOAD_AFTER_CUTOVER.toMillis());
        HmsWorkload.Result result = workload.stop();

        List<String> problems = new ArrayList<>();
        JsonNode verification = done.path("replication").path("lastVerification");
        String verified;
        if (verification.isMissingNode()) {
            problems.add("no verification report on " + execution);
            verified = "no report";
        }
        else {
            long differences = verification.path("differences").asLong();
            // completeMigration compares every table ahead of the fence; at the fence, the tables written since.
            verified = "every table compared ahead of the fence, %d tables written since compared again at it, %d differences"
                    .formatted(verification.path("tablesCompared").asLong(), differences);
            if (differences != 0) {
                problems.add("the cutover's verification found %d differences".formatted(differences));
            }
        }
        if (!result.failures().isEmpty()) {
            HmsWorkload.Failure first = result.failures().get(0);
            problems.add("%d workload calls failed, the first: %s by client %d: %s".formatted(result.failures().size(), first.operation(), first.client(), first.error()));
        }
        OwnDatabase own = server.ownDatabase();
        Map<String, long[]> counts;
        long acknowledged = 0;
        try (Connection sourceConnection = source.connect();
                Connection ownConnection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password())) {
            counts = compareCounts(sourceConnection, ownConnection);
            counts.forEach((table, pair) -> {
                if (pair[0] != pair[1]) {
                    problems.add("%s: %,d rows in the source, %,d in the own database".formatted(table, pair[0], pair[1]));
                }
            });
            for (Map.Entry<String, Set<String>> entry : result.partitions().entrySet()) {
                String[] name = entry.getKey().split("\\.", 2);
                Set<String> present = ownPartitions(ownConnection, name[0], name[1]);
                for (String value : entry.getValue()) {
                    acknowledged++;
                    if (!present.contains("part=" + value)) {
                        problems.add("acknowledged partition %s/part=%s is not in the own database".formatted(entry.getKey(), value));
                    }
                }
            }
        }
        progress.finish("verify: %s; row counts of %s equal in source and own database; %,d acknowledged workload partitions present"
                .formatted(verified, String.join(", ", counts.keySet()), acknowledged));
        if (!problems.isEmpty()) {
            throw new IllegalStateException("verification failed: " + String.join("; ", problems.subList(0, Math.min(3, problems.size())))
                    + (problems.size() > 3 ? " (and %d more)".formatted(problems.size() - 3) : ""));
        }
        return new DemoSummary(options, filled, replicated.rowsCopied, replicated.backfill, replicated.peakLagMillis, writePause, verified, counts,
                acknowledged, result, Duration.ofNanos(System.nanoTime() - begin));
    }

    /** What the watch of replication saw. */
    private static final class Replicated
    {
        long rowsCopied;
        Duration backfill = Duration.ZERO;
        long peakLagMillis = -1;
    }

    /**
     * Watches the execution until it has streamed for a few seconds. The backfill's time runs from the moment
     * startMigration's Operation was seen done (replication starts then), to a quarter second's precision.
     */
    private Replicated awaitStreaming(FerryRest rest, String execution, long backfillStarted)
            throws Exception
    {
        Replicated replicated = new Replicated();
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        long streamingSince = 0;
        while (true) {
            JsonNode current = rest.get(execution);
            failIfStopped(execution, current);
            JsonNode replication = current.path("replication");
            String stage = replication.path("stage").asText("STARTING");
            long copied = replication.path("backfill").path("rowsCopied").asLong();
            long total = replication.path("backfill").path("rowsTotal").asLong();
            if (stage.equals("STREAMING")) {
                if (streamingSince == 0) {
                    streamingSince = System.nanoTime();
                    replicated.rowsCopied = copied;
                    replicated.backfill = Duration.ofNanos(streamingSince - backfillStarted);
                }
                replicated.peakLagMillis = Math.max(replicated.peakLagMillis, replication.path("lagMillis").asLong(-1));
                if (System.nanoTime() - streamingSince >= STREAMING_BEFORE_CUTOVER.toNanos()) {
                    return replicated;
                }
            }
            progress.show(total == 0 ? 0 : copied / (double) total, "backfill", details(current, copied, total));
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("%s did not reach STREAMING within %s (stage %s)".formatted(execution, DemoSummary.duration(STEP_TIMEOUT), stage));
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    private JsonNode awaitOperation(FerryRest rest, String operation, String verb)
            throws Exception
    {
        return awaitOperation(rest, operation, verb, null, null);
    }

    /** Polls an Operation until done; while it runs, shows the execution's progress when one is given. */
    private JsonNode awaitOperation(FerryRest rest, String operation, String verb, String execution, Replicated replicated)
            throws Exception
    {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (true) {
            JsonNode current = rest.get(operation);
            if (current.path("done").asBoolean()) {
                if (current.has("error")) {
                    throw new IllegalStateException("%s failed: %s".formatted(verb, current.path("error").path("message").asText()));
                }
                return current;
            }
            if (execution == null) {
                progress.show(-1, verb, current.path("metadata").path("statusMessage").asText(""));
            }
            else {
                JsonNode state = rest.get(execution);
                JsonNode replication = state.path("replication");
                replicated.peakLagMillis = Math.max(replicated.peakLagMillis, replication.path("lagMillis").asLong(-1));
                progress.show(-1, verb, details(state, replication.path("backfill").path("rowsCopied").asLong(), replication.path("backfill").path("rowsTotal").asLong()));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("%s did not finish within %s".formatted(verb, DemoSummary.duration(STEP_TIMEOUT)));
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    private static void failIfStopped(String execution, JsonNode current)
    {
        String state = current.path("state").asText();
        if (state.equals("FAILED") || state.equals("CANCELLED")) {
            throw new IllegalStateException("%s is %s: %s".formatted(execution, state, current.path("stateMessage").asText("")));
        }
    }

    private static String details(JsonNode execution, long copied, long total)
    {
        JsonNode replication = execution.path("replication");
        StringBuilder details = new StringBuilder("%,d/%,d rows  stage %s".formatted(copied, total, replication.path("stage").asText("STARTING")));
        long lag = replication.path("lagMillis").asLong(-1);
        details.append("  lag ").append(lag < 0 ? "-" : "%,d ms".formatted(lag));
        if (!execution.path("state").asText().equals("RUNNING")) {
            details.append("  ").append(execution.path("state").asText()).append(": ").append(execution.path("stateMessage").asText(""));
        }
        return details.toString();
    }

    private static Map<String, String> counts()
    {
        String databases = "\"DBS\" d WHERE d.\"NAME\" LIKE '" + DemoSource.DATABASE_PREFIX.replace("_", "\\_") + "%'";
        String tables = "\"TBLS\" t JOIN " + databases.replace(" WHERE", " ON d.\"DB_ID\" = t.\"DB_ID\" WHERE");
        String partitions = "\"PARTITIONS\" p JOIN " + tables.replace("\"TBLS\" t JOIN", "\"TBLS\" t ON t.\"TBL_ID\" = p.\"TBL_ID\" JOIN");
        Map<String, String> counts = new LinkedHashMap<>();
        counts.put("DBS", "SELECT COUNT(*) FROM " + databases);
        counts.put("TBLS", "SELECT COUNT(*) FROM " + tables);
        counts.put("PARTITIONS", "SELECT COUNT(*) FROM " + partitions);
        counts.put("PARTITION_PARAMS", "SELECT COUNT(*) FROM \"PARTITION_PARAMS\" x JOIN " + partitions.replace("\"PARTITIONS\" p JOIN", "\"PARTITIONS\" p ON p.\"PART_ID\" = x.\"PART_ID\" JOIN"));
        counts.put("PART_COL_STATS", "SELECT COUNT(*) FROM \"PART_COL_STATS\" x JOIN " + partitions.replace("\"PARTITIONS\" p JOIN", "\"PARTITIONS\" p ON p.\"PART_ID\" = x.\"PART_ID\" JOIN"));
        return counts;
    }

    /** Per table: {source rows, own rows}, over the source's Hive databases (the workload writes others). */
    private static Map<String, long[]> compareCounts(Connection source, Connection own)
            throws SQLException
    {
        Map<String, long[]> result = new LinkedHashMap<>();
        for (Map.Entry<String, String> count : COUNTS.entrySet()) {
            result.put(count.getKey(), new long[] {count(source, count.getValue().replace('"', '`')), count(own, count.getValue())});
        }
        return result;
    }

    private static long count(Connection connection, String sql)
            throws SQLException
    {
        try (Statement statement = connection.createStatement(); ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private static Set<String> ownPartitions(Connection connection, String database, String table)
            throws SQLException
    {
        Set<String> names = new HashSet<>();
        try (PreparedStatement select = connection.prepareStatement("""
                SELECT p."PART_NAME" FROM "PARTITIONS" p JOIN "TBLS" t ON t."TBL_ID" = p."TBL_ID" JOIN "DBS" d ON d."DB_ID" = t."DB_ID"
                WHERE d."NAME" = ? AND t."TBL_NAME" = ?""")) {
            select.setString(1, database);
            select.setString(2, table);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    names.add(rows.getString(1));
                }
            }
        }
        return names;
    }

    private static double seconds(Duration duration)
    {
        return Math.max(duration.toNanos(), 1) / 1e9;
    }
}
