package dev.ferry.demo;

import java.io.PrintStream;

import static java.util.Objects.requireNonNull;

/**
 * One line of progress. On a terminal it is redrawn in place; otherwise (a pipe, a file, a CI log) a plain line is
 * printed when the text's label changes or at most every few seconds, so that a log stays readable.
 */
final class ProgressLine
{
    private static final int WIDTH = 30;
    private static final long PLAIN_INTERVAL_NANOS = 5_000_000_000L;

    private final PrintStream out;
    private final boolean terminal;
    private int drawn;
    private String lastLabel = "";
    private long lastPrinted;

    ProgressLine(PrintStream out, boolean terminal)
    {
        this.out = requireNonNull(out, "out is null");
        this.terminal = terminal;
    }

    /** A bar of {@code fraction} (0 to 1, or negative for none), a label and details after it. */
    synchronized void show(double fraction, String label, String details)
    {
        StringBuilder line = new StringBuilder();
        if (fraction >= 0) {
            int filled = (int) Math.round(Math.min(1, fraction) * WIDTH);
            line.append('[').append("#".repeat(filled)).append(".".repeat(WIDTH - filled)).append("] ")
                    .append("%3d%% ".formatted((int) Math.floor(Math.min(1, fraction) * 100)));
        }
        line.append(label);
        if (!details.isEmpty()) {
            line.append("  ").append(details);
        }
        String text = line.toString();
        if (terminal) {
            out.print("\r" + text + " ".repeat(Math.max(0, drawn - text.length())));
            out.flush();
            drawn = text.length();
            return;
        }
        long now = System.nanoTime();
        if (!label.equals(lastLabel) || now - lastPrinted >= PLAIN_INTERVAL_NANOS) {
            out.println(text);
            lastLabel = label;
            lastPrinted = now;
        }
    }

    /** Ends the line being redrawn with {@code text}, which stays. */
    synchronized void finish(String text)
    {
        if (terminal) {
            out.print("\r" + text + " ".repeat(Math.max(0, drawn - text.length())) + System.lineSeparator());
            drawn = 0;
        }
        else {
            out.println(text);
        }
        out.flush();
        lastLabel = "";
    }

    /** Ends a line being redrawn, if any, so that other output starts on a line of its own. */
    synchronized void breakLine()
    {
        if (terminal && drawn > 0) {
            out.println();
            drawn = 0;
        }
    }
}
