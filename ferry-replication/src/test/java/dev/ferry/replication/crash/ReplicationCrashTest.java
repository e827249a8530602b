package dev.ferry.replication.crash;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import dev.ferry.engine.Engine;
import dev.ferry.replication.HmsFixture;
import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.Replication;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.source.SourcePosition;
import dev.ferry.replication.verify.VerificationReport;
import dev.ferry.replication.verify.Verifier;
import dev.ferry.replication.verify.VerifyOptions;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.HmsConnection;
import dev.ferry.testkit.HmsWorkload;
import dev.ferry.testkit.SourceServer;
import dev.ferry.testkit.SourceServers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Replication in a separate JVM, killed with SIGKILL at different stages while HMS writers keep changing the
 * source; each restart must resume, and in the end the own database must equal the source row for row.
 */
class ReplicationCrashTest
{
    private static EmbeddedPostgresServer postgres;

    @TempDir
    Path staging;

    @BeforeAll
    static void startDatabases()
    {
        postgres = EmbeddedPostgresServer.start();
    }

    @AfterAll
    static void stopDatabases()
    {
        postgres.close();
    }

    /** One run of the replication process, with its latest status line. */
    private static final class ReplicationProcess
            implements AutoCloseable
    {
        private final Process process;
        private final AtomicReference<String[]> status = new AtomicReference<>(new String[0]);
        private final List<String> output = Collections.synchronizedList(new ArrayList<>());

        ReplicationProcess(List<String> arguments)
                throws Exception
        {
            // A run lives seconds and is killed: the client compiler alone and the serial collector spend less of the
            // two cores on starting it (MariaDB's case took 89 and 91 s with them, 102 and 109 s without, runs back to back).
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=240m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), ReplicationProcessMain.class.getName()));
            command.addAll(arguments);
            process = new ProcessBuilder(command).start();
            read(process.getInputStream(), true);
            read(process.getErrorStream(), false);
        }

        /** Status lines come only from standard output, whole; everything else is kept for failure messages. */
        private void read(java.io.InputStream stream, boolean statusLines)
        {
            Thread reader = new Thread(() -> {
                try (BufferedReader lines = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                        String[] fields = line.split(" ");
                        if (statusLines && fields.length == 9 && fields[0].equals("STATUS") && fields[8].equals("END")) {
                            status.set(fields);
                        }
                        else {
                            output.add(line);
                        }
                    }
                }
                catch (java.io.IOException ignored) {
                    // The process was killed.
                }
            }, statusLines ? "replication-process-stdout" : "replication-process-stderr");
            reader.setDaemon(true);
            reader.start();
        }

        String stage()
        {
            String[] line = status.get();
            return line.length > 1 ? line[1] : "";
        }

        long copied()
        {
            String[] line = status.get();
            return line.length > 2 ? Long.parseLong(line[2]) : 0;
        }

        long transactionsApplied()
        {
            String[] line = status.get();
            return line.length > 6 ? Long.parseLong(line[6]) : 0;
        }

        String error()
        {
            String[] line = status.get();
            return line.length > 7 ? line[7] : "-";
        }

        void awaitStatus(String what, Predicate<ReplicationProcess> condition, Duration timeout)
                throws InterruptedException
        {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!condition.test(this)) {
                if (!process.isAlive()) {
                    throw new AssertionError("replication process exited (%s) while waiting for %s: %s".formatted(process.exitValue(), what, tail()));
                }
                if (!error().equals("-")) {
                    throw new AssertionError("replication failed while waiting for %s: %s%n%s".formatted(what, error().replace('_', ' '), tail()));
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("timed out waiting for %s; last status %s; %s".formatted(what, String.join(" ", status.get()), tail()));
                }
                Thread.sleep(20);
            }
        }

        private String tail()
        {
            synchronized (output) {
                return String.join("\n", output.subList(Math.max(0, output.size() - 30), output.size()));
            }
        }

        void kill()
                throws InterruptedException
        {
            process.destroyForcibly();
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }

        @Override
        public void close()
                throws InterruptedException
        {
            if (process.isAlive()) {
                kill();
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(SourceServers.Kind.class)
    void resumesAfterSigkillAtEveryStageAndEndsEqualToTheSource(SourceServers.Kind kind)
            throws Exception
    {
        SourceServer server = SourceServers.shared(kind);
        String name = "crash_" + kind.tag();
        SchemaMapping mapping = HmsFixture.mapping();
        SourceDatabase source = HmsFixture.source(server, "hms_" + name);
        OwnDatabaseTarget own = HmsFixture.own(postgres, "own_" + name);
        List<String> arguments = List.of(name, "127.0.0.1", Integer.toString(server.port()), source.database(), source.user(), source.password(),
                source.cdcUser(), source.cdcPassword(), own.jdbcUrl(), own.user(), own.password(), HmsFixture.upgradeScripts().toString(),
                staging.resolve(name).toString(), "50");
        List<String> kills = new ArrayList<>();

        try (Engine writerA = HmsFixture.engine(server, source); Engine writerB = HmsFixture.engine(server, source)) {
            HmsFixture.fill(writerA.client(), "seed", 2, 3, 600);
            HmsWorkload workload = HmsWorkload.start(client -> HmsConnection.of(client % 2 == 0 ? writerA.client() : writerB.client()), 4, "crash");
            try {
                try (ReplicationProcess run = new ReplicationProcess(arguments)) {
                    run.awaitStatus("backfill under way", process -> process.stage().equals("BACKFILL") && process.copied() > 2_000, Duration.ofMinutes(2));
                    kills.add("mid-backfill at %s rows".formatted(run.copied()));
                    run.kill();
                }
                try (ReplicationProcess run = new ReplicationProcess(arguments)) {
                    run.awaitStatus("backfill resumed", process -> process.stage().equals("BACKFILL") && process.copied() > 4_000, Duration.ofMinutes(2));
                    kills.add("mid-backfill again at %s rows copied in this run".formatted(run.copied()));
                    run.kill();
                }
                try (ReplicationProcess run = new ReplicationProcess(arguments)) {
                    run.awaitStatus("streaming", process -> process.stage().equals("STREAMING") && process.transactionsApplied() > 50, Duration.ofMinutes(3));
                    kills.add("streaming after %s transactions applied".formatted(run.transactionsApplied()));
                    run.kill();
                }
                try (ReplicationProcess run = new ReplicationProcess(arguments)) {
                    // Right after a restart: capture is recovering its offset and re-reading the binlog.
                    run.awaitStatus("restarted", process -> !process.stage().isEmpty(), Duration.ofMinutes(1));
                    Thread.sleep(300);
                    kills.add("during capture recovery, stage %s".formatted(run.stage()));
                    run.kill();
                }
                for (int round = 0; round < 2; round++) {
                    try (ReplicationProcess run = new ReplicationProcess(arguments)) {
                        run.awaitStatus("streaming", process -> process.stage().equals("STREAMING"), Duration.ofMinutes(3));
                        long applied = run.transactionsApplied();
                        // Apply commits a batch every few milliseconds under this load: a kill now lands mid-batch.
                        run.awaitStatus("applying", process -> process.transactionsApplied() > applied + 20, Duration.ofMinutes(2));
                        kills.add("mid-apply after %s transactions applied".formatted(run.transactionsApplied()));
                        run.kill();
                    }
                }
            }
            finally {
                HmsWorkload.Result result = workload.stop();
                assertThat(result.failures()).isEmpty();
            }

            // The last run resumes in this JVM, to drain to a fence as a cutover does.
            SourcePosition fence = HmsFixture.position(source);
            try (Replication replication = Replication.start(ReplicationProcessMain.config(arguments.toArray(String[]::new)))) {
                await().atMost(Duration.ofMinutes(3)).until(() -> replication.stage() == Replication.Stage.STREAMING || replication.failure().isPresent());
                assertThat(replication.failure()).isEmpty();
                assertThat(replication.drainTo(fence, Duration.ofMinutes(3))).as("drained to the fence " + fence).isTrue();
                // The maintenance restores the foreign keys once apply has passed the newest backfill snapshot; from
                // then on apply runs with them, so a state the source never had (tables copied at different moments)
                // would fail it. Restored too early, they did (a partition whose SDS row was copied after its drop).
                await().atMost(Duration.ofMinutes(1)).until(() -> foreignKeysSetAside(own) == 0 || replication.failure().isPresent());
                assertThat(replication.failure()).isEmpty();
                assertThat(liveForeignKeys(own)).isPositive();
            }
        }

        assertThat(kills).hasSizeGreaterThanOrEqualTo(5);
        System.out.println("SIGKILLs: " + kills);
        HmsFixture.assertEveryTableEqual(source, own, mapping);
        VerificationReport verification = new Verifier(mapping, source, own, VerifyOptions.defaults()).verifyAll();
        assertThat(verification.differences()).as(verification.summary()).isEmpty();
    }

    private static long foreignKeysSetAside(OwnDatabaseTarget own)
            throws SQLException
    {
        return count(own, "SELECT count(*) FROM ferry_replication.foreign_key");
    }

    private static long liveForeignKeys(OwnDatabaseTarget own)
            throws SQLException
    {
        return count(own, "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace");
    }

    private static long count(OwnDatabaseTarget own, String sql)
            throws SQLException
    {
        try (Connection connection = DriverManager.getConnection(own.jdbcUrl(), own.user(), own.password());
                Statement statement = connection.createStatement();
                ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
