package dev.ferry.replication.crash;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import dev.ferry.replication.OwnDatabaseTarget;
import dev.ferry.replication.Replication;
import dev.ferry.replication.SourceDatabase;
import dev.ferry.replication.apply.Apply;
import dev.ferry.replication.backfill.Backfill;

/**
 * Runs one migration's replication in a JVM of its own, so a test can kill it with SIGKILL. Prints a status line
 * every 50 ms on standard output: {@code STATUS stage copied total applied-gtid captured-gtid transactions error END}
 * (the error with its white space as underscores). Log output goes to standard error. Arguments:
 * migration, source host, port, database, user, password, CDC user, CDC password, own JDBC URL, user, password,
 * upgrade scripts folder, staging folder, chunk rows.
 */
public final class ReplicationProcessMain
{
    private ReplicationProcessMain() {}

    public static void main(String[] args)
            throws Exception
    {
        try (Replication replication = Replication.start(config(args))) {
            while (true) {
                Replication.Status status = replication.status();
                // One write per line: PrintStream.printf writes each piece on its own, so a log record on the same
                // pipe could land inside a status line.
                String line = "STATUS %s %s %s %s %s %s %s END%n".formatted(status.stage(), status.rowsCopied(), status.rowsTotal(),
                        token(status.appliedPosition()), token(status.capturedPosition()), status.transactionsApplied(),
                        status.lastError().map(error -> error.replaceAll("\\s", "_")).orElse("-"));
                System.out.write(line.getBytes(StandardCharsets.UTF_8));
                System.out.flush();
                TimeUnit.MILLISECONDS.sleep(50);
            }
        }
    }

    /** The replication the arguments describe; the test resumes it in its own JVM for the last run. */
    static Replication.Config config(String[] args)
    {
        SourceDatabase source = new SourceDatabase(args[1], Integer.parseInt(args[2]), args[3], args[4], args[5], args[6], args[7]);
        OwnDatabaseTarget own = new OwnDatabaseTarget(args[8], args[9], args[10]);
        return new Replication.Config(args[0], source, own, Path.of(args[11]), "4.0.0", Path.of(args[12]),
                64 * 1024, new Backfill.Options(2, Integer.parseInt(args[13])), new Apply.Options(16, java.time.Duration.ofMillis(5)));
    }

    private static String token(String position)
    {
        return position.isEmpty() ? "-" : position;
    }
}
