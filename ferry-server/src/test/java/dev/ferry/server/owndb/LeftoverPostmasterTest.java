package dev.ferry.server.owndb;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class LeftoverPostmasterTest
{
    @TempDir
    Path work;

    @Test
    void noPidFileFindsNothing()
    {
        assertThat(LeftoverPostmaster.find(work)).isEmpty();
    }

    @Test
    void pidFileNamingALiveProcessThatIsNotPostgresLeavesItAlone()
            throws Exception
    {
        Process sleep = new ProcessBuilder("sleep", "300").start();
        try {
            Files.writeString(work.resolve(LeftoverPostmaster.PID_FILE), "%s\n%s\n".formatted(sleep.pid(), work));
            assertThat(LeftoverPostmaster.find(work)).isEmpty();
            assertThat(sleep.isAlive()).isTrue();
        }
        finally {
            sleep.destroyForcibly();
        }
    }

    @Test
    void pidFileOfTheCurrentProcessFindsNothing()
            throws Exception
    {
        Files.writeString(work.resolve(LeftoverPostmaster.PID_FILE), "%s\n%s\n".formatted(ProcessHandle.current().pid(), work));
        assertThat(LeftoverPostmaster.find(work)).isEmpty();
    }

    @Test
    void stopsPostgresOnItsOwnDirectoryOnlyAndLosesNothingCommitted()
            throws Exception
    {
        Path ours = work.resolve("ours");
        Path other = Files.createDirectories(work.resolve("other"));
        EmbeddedPostgres postgres = EmbeddedPostgres.builder().setDataDirectory(ours).setCleanDataDirectory(false)
                .setRegisterShutdownHook(false).start();
        try {
            try (var connection = postgres.getPostgresDatabase().getConnection(); var statement = connection.createStatement()) {
                statement.execute("CREATE TABLE kept (id int)");
                statement.execute("INSERT INTO kept VALUES (1)");
            }
            long pid = Long.parseLong(Files.readAllLines(ours.resolve(LeftoverPostmaster.PID_FILE)).get(0).strip());
            ProcessHandle postmaster = ProcessHandle.of(pid).orElseThrow();

            // The same pid file under another directory: a PostgreSQL, but not on that directory.
            Files.copy(ours.resolve(LeftoverPostmaster.PID_FILE), other.resolve(LeftoverPostmaster.PID_FILE));
            assertThat(LeftoverPostmaster.find(other)).isEmpty();
            assertThat(postmaster.isAlive()).isTrue();

            LeftoverPostmaster leftover = LeftoverPostmaster.find(ours).orElseThrow();
            assertThat(leftover.pid()).isEqualTo(pid);
            leftover.stop(Duration.ofSeconds(30));
            assertThat(postmaster.isAlive()).isFalse();
            assertThat(ours.resolve(LeftoverPostmaster.PID_FILE)).doesNotExist();
            assertThat(LeftoverPostmaster.find(ours)).isEmpty();
        }
        finally {
            postgres.close();
        }

        try (EmbeddedPostgres again = EmbeddedPostgres.builder().setDataDirectory(ours).setCleanDataDirectory(false)
                .setRegisterShutdownHook(false).start();
                var connection = again.getPostgresDatabase().getConnection();
                var statement = connection.createStatement();
                var rows = statement.executeQuery("SELECT count(*) FROM kept")) {
            rows.next();
            assertThat(rows.getInt(1)).isEqualTo(1);
        }
    }
}
