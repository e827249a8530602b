package dev.ferry.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** Numbers, durations, bars and aligned tables as the commands print them. */
final class Text
{
    private Text() {}

    static String number(long value)
    {
        return "%,d".formatted(value);
    }

    static String millis(long value)
    {
        return "%,d ms".formatted(value);
    }

    /** {@code 45 s}, {@code 3 min 05 s}, {@code 2 h 10 min}. */
    static String seconds(long seconds)
    {
        if (seconds < 60) {
            return seconds + " s";
        }
        if (seconds < 3600) {
            return "%d min %02d s".formatted(seconds / 60, seconds % 60);
        }
        return "%d h %02d min".formatted(seconds / 3600, seconds % 3600 / 60);
    }

    static String bar(double fraction, int width)
    {
        double bounded = Math.max(0, Math.min(1, fraction));
        int filled = (int) Math.round(bounded * width);
        return "[" + "#".repeat(filled) + ".".repeat(width - filled) + "]";
    }

    static int percent(long part, long whole)
    {
        return whole <= 0 ? 0 : (int) Math.min(100, part * 100 / whole);
    }

    /** The last segment of a resource name: an execution's or operation's id. */
    static String id(String name)
    {
        return name.substring(name.lastIndexOf('/') + 1);
    }

    /** Rows of label and value, the values aligned. */
    static void pairs(PrintStream out, List<String[]> rows)
    {
        int width = rows.stream().mapToInt(row -> row[0].length()).max().orElse(0);
        for (String[] row : rows) {
            out.println(row[0] + " ".repeat(width - row[0].length() + 2) + row[1]);
        }
    }

    /** A table with a header line, each column as wide as its widest cell. */
    static void columns(PrintStream out, List<String> header, List<List<String>> rows)
    {
        List<List<String>> all = new ArrayList<>();
        all.add(header);
        all.addAll(rows);
        int[] widths = new int[header.size()];
        for (List<String> row : all) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (List<String> row : all) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(row.get(i));
                if (i < row.size() - 1) {
                    line.append(" ".repeat(widths[i] - row.get(i).length() + 2));
                }
            }
            out.println(line);
        }
    }
}
