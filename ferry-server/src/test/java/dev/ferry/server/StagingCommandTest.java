package dev.ferry.server;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import dev.ferry.replication.staging.RowChange;
import dev.ferry.replication.staging.SourceTransaction;
import dev.ferry.replication.staging.StagingLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class StagingCommandTest
{
    @TempDir
    Path directory;

    private record Run(int exitCode, String out, String err) {}

    private static Run ferry(String... arguments)
    {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = FerryMain.run(arguments, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void printsEveryTransactionOfASegment()
    {
        try (StagingLog staging = StagingLog.open(directory, 1 << 20)) {
            staging.append(List.of(
                    new SourceTransaction("0-1-42", "mariadb-bin.000003", 1234, 1_795_000_000_000L, List.of(
                            new RowChange("DBS", RowChange.Operation.INSERT, List.of(), Arrays.asList(7L, "sales's", null, new byte[] {1, (byte) 0xab})),
                            new RowChange("TBLS", RowChange.Operation.DELETE, Arrays.asList(9L, true), List.of())))));
        }
        Run run = ferry("staging", "print", directory.resolve("segment-000000000001.log").toString());
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).isEqualTo("""
                transaction 0-1-42 at mariadb-bin.000003:1234 committed 2026-11-18T11:06:40Z, 2 changes
                  INSERT DBS after (7, 'sales''s', NULL, 0x01ab)
                  DELETE TBLS before (9, true)
                1 transactions
                """);
    }

    @Test
    void badArgumentsGetAMessageNotAStackTrace()
            throws Exception
    {
        Run missing = ferry("staging", "print", directory.resolve("nope.log").toString());
        assertThat(missing.exitCode()).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(missing.err()).isEqualTo("ferry: %s is not a file%n".formatted(directory.resolve("nope.log")));
        Run usage = ferry("staging", "show");
        assertThat(usage.exitCode()).isEqualTo(FerryMain.EXIT_USAGE);
        assertThat(usage.err()).startsWith("ferry: expected 'staging print SEGMENT-FILE'");
        Path garbage = Files.writeString(directory.resolve("segment-000000000009.log"), "not a segment");
        Run corrupt = ferry("staging", "print", garbage.toString());
        assertThat(corrupt.exitCode()).isEqualTo(FerryMain.EXIT_FAILED);
        assertThat(corrupt.out()).isEqualTo("0 transactions\n");
        assertThat(corrupt.err()).isEqualTo("ferry: the last 13 of 13 bytes of %s are not a valid frame: a write torn by a crash (the staging log cuts it when it is next opened) or damage%n".formatted(garbage));
    }
}
