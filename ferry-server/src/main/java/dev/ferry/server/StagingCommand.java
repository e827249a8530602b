package dev.ferry.server;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

import dev.ferry.replication.staging.RowChange;
import dev.ferry.replication.staging.SourceTransaction;
import dev.ferry.replication.staging.StagingLog;

/** {@code ferry staging print FILE}: a staging-log segment as text, for operators and bug reports. */
final class StagingCommand
{
    private StagingCommand() {}

    static final String USAGE = """
            usage: ferry staging print SEGMENT-FILE

            Prints a staging-log segment of a migration (segment-NNNNNNNNNNNN.log under the staging location) as
            text: one source transaction after another, each with its GTID, binlog position, commit time and row
            changes. Exit code 1 when the file ends in a torn or damaged frame. Format: docs/REPLICATION.md.
            """;

    static int run(List<String> arguments, PrintStream out, PrintStream err, String usage)
    {
        if (arguments.contains("--help") || arguments.contains("-h")) {
            out.print(USAGE);
            return FerryMain.EXIT_OK;
        }
        if (arguments.size() != 2 || !arguments.get(0).equals("print")) {
            err.print("ferry: expected 'staging print SEGMENT-FILE'\n" + usage);
            return FerryMain.EXIT_USAGE;
        }
        Path file = Path.of(arguments.get(1));
        if (!Files.isRegularFile(file)) {
            err.printf("ferry: %s is not a file%n", file);
            return FerryMain.EXIT_FAILED;
        }
        StagingLog.SegmentContents contents;
        try {
            contents = StagingLog.readSegment(file);
        }
        catch (UncheckedIOException | IllegalStateException e) {
            err.printf("ferry: cannot read staging segment %s: %s%n", file, e.getMessage());
            return FerryMain.EXIT_FAILED;
        }
        for (SourceTransaction transaction : contents.transactions()) {
            out.printf("transaction %s at %s:%s committed %s, %s changes%n", transaction.gtid(), transaction.binlogFile(),
                    transaction.binlogPosition(), Instant.ofEpochMilli(transaction.commitMillis()), transaction.changes().size());
            for (RowChange change : transaction.changes()) {
                out.printf("  %s %s", change.operation(), change.table());
                if (!change.before().isEmpty()) {
                    out.print(" before " + values(change.before()));
                }
                if (!change.after().isEmpty()) {
                    out.print(" after " + values(change.after()));
                }
                out.println();
            }
        }
        out.printf("%s transactions%n", contents.transactions().size());
        if (contents.validBytes() < contents.fileBytes()) {
            err.printf("ferry: the last %s of %s bytes of %s are not a valid frame: a write torn by a crash (the staging log cuts it when it is next opened) or damage%n",
                    contents.fileBytes() - contents.validBytes(), contents.fileBytes(), file);
            return FerryMain.EXIT_FAILED;
        }
        return FerryMain.EXIT_OK;
    }

    private static String values(List<Object> values)
    {
        StringBuilder text = new StringBuilder("(");
        for (int i = 0; i < values.size(); i++) {
            Object value = values.get(i);
            if (i > 0) {
                text.append(", ");
            }
            if (value == null) {
                text.append("NULL");
            }
            else if (value instanceof String string) {
                text.append('\'').append(string.replace("'", "''").replace("\n", "\\n")).append('\'');
            }
            else if (value instanceof byte[] bytes) {
                text.append("0x").append(HexFormat.of().formatHex(bytes));
            }
            else {
                text.append(value);
            }
        }
        return text.append(')').toString();
    }
}
