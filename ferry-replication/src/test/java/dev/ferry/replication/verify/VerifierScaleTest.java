package dev.ferry.replication.verify;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.fixtures.TestMetastores;
import dev.ferry.testkit.EmbeddedMariaDb;
import dev.ferry.testkit.EmbeddedPostgresServer;
import dev.ferry.testkit.TempDirectories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Verify over millions of rows in a JVM with a 64 MB heap: a keyed table read in chunks and a table without a key
 * read in one pass, each larger than the heap. A result set that did not stream (a PostgreSQL read outside a
 * transaction, a MariaDB read without a fetch size) would run out of memory.
 */
class VerifierScaleTest
{
    private static final int ROWS = 1_000_000;
    private static final String HEAP = "-Xmx64m";

    private static EmbeddedMariaDb mariaDb;
    private static EmbeddedPostgresServer postgres;
    private static Path warehouse;

    @BeforeAll
    static void createDatabases()
            throws Exception
    {
        mariaDb = EmbeddedMariaDb.start();
        postgres = EmbeddedPostgresServer.start();
        warehouse = Files.createTempDirectory("ferry-verify-scale-");
        mariaDb.createDatabase("hms");
        TestMetastores.host().initializeSchema(TestMetastores.sourceSettings(mariaDb, "hms", warehouse));
        TestMetastores.createOwnDatabase(postgres, "own", warehouse);
        long started = System.nanoTime();
        // The same rows on both sides, written in SQL; foreign keys are not checked, the parents do not exist.
        try (Connection connection = mariaDb.connect("hms"); Statement statement = connection.createStatement()) {
            statement.execute("SET time_zone = '+00:00'");
            statement.execute("SET FOREIGN_KEY_CHECKS = 0");
            statement.execute("INSERT INTO PARTITION_PARAMS SELECT seq DIV 4 + 1, ELT(seq MOD 4 + 1, 'numFiles', 'totalSize', 'numRows', 'rawDataSize'), "
                    + "CONCAT('value \\t ', seq, ' \u00e9') FROM seq_0_to_" + (ROWS - 1));
            statement.execute("INSERT INTO COMPLETED_TXN_COMPONENTS SELECT seq, 'sales', CONCAT('table_', seq MOD 100), CONCAT('day=', seq MOD 1000), "
                    + "TIMESTAMP '2026-01-01 00:00:00' + INTERVAL seq SECOND, seq, 'N' FROM seq_0_to_" + (ROWS - 1));
        }
        try (Connection connection = postgres.connect("own"); Statement statement = connection.createStatement()) {
            connection.setAutoCommit(false);
            statement.execute("SET LOCAL session_replication_role = replica");
            statement.execute("INSERT INTO \"PARTITION_PARAMS\" SELECT n / 4 + 1, (ARRAY['numFiles', 'totalSize', 'numRows', 'rawDataSize'])[n % 4 + 1], "
                    + "'value ' || chr(9) || ' ' || n || ' \u00e9' FROM generate_series(0, " + (ROWS - 1) + ") n");
            statement.execute("INSERT INTO \"COMPLETED_TXN_COMPONENTS\" SELECT n, 'sales', 'table_' || n % 100, 'day=' || n % 1000, "
                    + "TIMESTAMP '2026-01-01 00:00:00' + n * INTERVAL '1 second', n, 'N' FROM generate_series(0, " + (ROWS - 1) + ") n");
            connection.commit();
        }
        System.out.printf("Wrote %s rows on each side in %s ms%n", 2 * ROWS, (System.nanoTime() - started) / 1_000_000);
    }

    @AfterAll
    static void stopServers()
            throws Exception
    {
        TestMetastores.closeAll(mariaDb, postgres, () -> {
            if (warehouse != null) {
                TempDirectories.deleteRecursively(warehouse);
            }
        });
    }

    @Test
    void verifiesTwoMillionRowsInASmallHeapAndFindsOneChangedRow()
            throws Exception
    {
        List<String> identical = verifyInSmallHeap();
        assertThat(identical).contains("identical=true", "PARTITION_PARAMS rows=%s/%s chunks=101 differences=0".formatted(ROWS, ROWS),
                "COMPLETED_TXN_COMPONENTS rows=%s/%s chunks=1 differences=0".formatted(ROWS, ROWS));

        try (Connection connection = postgres.connect("own"); Statement statement = connection.createStatement()) {
            assertThat(statement.executeUpdate("UPDATE \"PARTITION_PARAMS\" SET \"PARAM_VALUE\" = 'changed' WHERE \"PART_ID\" = 123457 AND \"PARAM_KEY\" = 'numRows'")).isEqualTo(1);
        }
        List<String> changed = verifyInSmallHeap();
        assertThat(changed).contains("identical=false", "COMPLETED_TXN_COMPONENTS rows=%s/%s chunks=1 differences=0".formatted(ROWS, ROWS),
                // 4 rows per partition, in key order numFiles, numRows, rawDataSize, totalSize; 10,000 rows per chunk.
                "PARTITION_PARAMS (PART_ID, PARAM_KEY) after (122500, 'totalSize') through (125000, 'totalSize'): 10000 rows on both sides, not the same rows");
    }

    /** Runs {@link SmallHeapVerify} in a JVM of its own and returns what it printed. */
    private static List<String> verifyInSmallHeap()
            throws IOException, InterruptedException
    {
        Path output = Files.createTempFile(warehouse, "verify-", ".txt");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), HEAP,
                "-Dferry.engine.home=" + TestMetastores.engineHome(), "-cp", System.getProperty("java.class.path"), SmallHeapVerify.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile());
        builder.environment().put("FERRY_TEST_SOURCE_PORT", String.valueOf(mariaDb.port()));
        builder.environment().put("FERRY_TEST_OWN_URL", postgres.jdbcUrl("own"));
        Process process = builder.start();
        try {
            assertThat(process.waitFor(10, TimeUnit.MINUTES)).as("verify finished").isTrue();
        }
        finally {
            process.destroyForcibly();
        }
        List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8);
        lines.forEach(line -> System.out.println("child: " + line));
        assertThat(process.exitValue()).as(String.join("\n", lines)).isZero();
        return lines;
    }

    /** The child JVM: verifies the two big tables and prints the report, one fact per line. */
    public static final class SmallHeapVerify
    {
        private SmallHeapVerify() {}

        public static void main(String[] arguments)
                throws SQLException
        {
            SourceDatabase source = new SourceDatabase("127.0.0.1", Integer.parseInt(System.getenv("FERRY_TEST_SOURCE_PORT")), "hms",
                    EmbeddedMariaDb.USER, EmbeddedMariaDb.PASSWORD, EmbeddedMariaDb.USER, EmbeddedMariaDb.PASSWORD);
            OwnDatabaseTarget own = new OwnDatabaseTarget(System.getenv("FERRY_TEST_OWN_URL"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD);
            long started = System.nanoTime();
            VerificationReport report = new Verifier(TestMetastores.mapping(), source, own, VerifyOptions.defaults())
                    .verify(Set.of("PARTITION_PARAMS", "COMPLETED_TXN_COMPONENTS"));
            long millis = (System.nanoTime() - started) / 1_000_000;
            System.out.println("identical=" + report.identical());
            for (TableVerification table : report.tables()) {
                System.out.printf("%s rows=%s/%s chunks=%s differences=%s%n", table.table(), table.sourceRows(), table.ownRows(), table.chunks(), table.differences().size());
            }
            report.differences().forEach(System.out::println);
            Runtime runtime = Runtime.getRuntime();
            System.out.printf("verified %s rows per side in %s ms (%s rows/s per side), max heap %s MB%n", report.sourceRows(), millis,
                    report.sourceRows() * 1000 / Math.max(1, millis), runtime.maxMemory() / (1024 * 1024));
        }
    }
}
