package dev.ferry.control;

/**
 * Control characters in text that came from outside: what the API refuses (anything below 0x20 and DEL), how a log
 * line quotes such text so that it stays one line, and the sanitised form a message is recorded in when the control
 * store refuses it as it is (PostgreSQL takes no NUL in text).
 */
public final class Text
{
    private Text() {}

    /** A character the API refuses in a string: below 0x20 (NUL, tab, newline, ...) or DEL. */
    public static boolean isControl(int c)
    {
        return c < 0x20 || c == 0x7f;
    }

    /** Whether {@code text} holds a character {@link #isControl} refuses, other than those of {@code allowed}. */
    public static boolean hasControl(String text, String allowed)
    {
        return text.chars().anyMatch(c -> isControl(c) && allowed.indexOf(c) < 0);
    }

    /** {@code text} without its control characters. */
    public static String withoutControlCharacters(String text)
    {
        if (text == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(text.length());
        text.chars().filter(c -> !isControl(c)).forEach(c -> out.append((char) c));
        return out.toString();
    }

    /**
     * {@code text} for a log line: control characters, backslashes and double quotes escaped ({@code \n},
     * {@code \\u0000}, {@code \\}, {@code \"}), so that a quoted value can neither split the line nor end its quotes.
     */
    public static String escaped(String text)
    {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\\' -> out.append("\\\\");
                case '"' -> out.append("\\\"");
                default -> {
                    if (isControl(c)) {
                        out.append("\\u%04x".formatted((int) c));
                    }
                    else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
