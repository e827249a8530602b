package dev.ferry.replication.schema;

import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Locale;

/**
 * How one column's value moves from the MySQL schema to the PostgreSQL schema of the same Hive version. Every value,
 * whether read over JDBC (backfill, verify) or decoded from the binlog by Debezium (capture), is first brought to a
 * canonical Java value ({@link #canonical}), so that both paths write, and verify compares, the same thing.
 */
public enum Conversion
{
    /** Integers of any width (MySQL int → PostgreSQL bigint among them): {@link Long}. */
    INTEGER,
    /** bit(1) → boolean: {@link Boolean}. */
    BIT_TO_BOOLEAN,
    /** MySQL boolean (a tinyint(1)) → boolean: {@link Boolean}. */
    BOOLEAN,
    /** bit(1) → smallint (0 or 1): {@link Long}. */
    BIT_TO_INTEGER,
    /** Character types of any length, mediumtext and longtext → text: {@link String}. */
    STRING,
    /** blob, varbinary → bytea: {@code byte[]}. */
    BYTES,
    /** double(53,4) → double precision: {@link Double}. */
    FLOAT,
    /** timestamp → timestamp without time zone, in UTC: {@link LocalDateTime}. */
    TIMESTAMP;

    private static final DateTimeFormatter COPY_TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS", Locale.ROOT);

    /** The conversion for a column's MySQL and PostgreSQL types, or null when there is none. */
    static Conversion of(String mysqlType, String postgresType)
    {
        String source = base(mysqlType);
        String target = base(postgresType);
        boolean sourceInteger = source.matches("bigint|int|smallint|tinyint|mediumint");
        boolean targetInteger = target.matches("bigint|int|smallint");
        if (sourceInteger && targetInteger) {
            return INTEGER;
        }
        if (mysqlType.equals("bit(1)") && target.equals("boolean")) {
            return BIT_TO_BOOLEAN;
        }
        if (source.matches("boolean|bool|tinyint") && target.equals("boolean")) {
            return BOOLEAN;
        }
        if (mysqlType.equals("bit(1)") && targetInteger) {
            return BIT_TO_INTEGER;
        }
        if (source.matches("varchar|char|text|mediumtext|longtext|tinytext") && target.matches("varchar|char|text")) {
            return STRING;
        }
        if (source.matches("blob|mediumblob|longblob|varbinary|binary") && target.equals("bytea")) {
            return BYTES;
        }
        if (source.matches("double|float|real") && target.matches("double precision|real")) {
            return FLOAT;
        }
        if (source.matches("timestamp|datetime") && target.equals("timestamp")) {
            return TIMESTAMP;
        }
        return null;
    }

    private static String base(String type)
    {
        int parenthesis = type.indexOf('(');
        return parenthesis < 0 ? type : type.substring(0, parenthesis);
    }

    /**
     * The canonical value of a value read from the source over JDBC or decoded by Debezium; null stays null.
     *
     * @throws IllegalArgumentException for a value of a kind this conversion never sees
     */
    public Object canonical(Object value)
    {
        if (value == null) {
            return null;
        }
        return switch (this) {
            case INTEGER -> integer(value);
            case BIT_TO_BOOLEAN, BOOLEAN -> bit(value);
            case BIT_TO_INTEGER -> bit(value) ? 1L : 0L;
            case STRING -> value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : value.toString();
            case BYTES -> bytes(value);
            case FLOAT -> {
                if (value instanceof Number number) {
                    yield number.doubleValue();
                }
                throw unexpected(value);
            }
            case TIMESTAMP -> timestamp(value);
        };
    }

    private Long integer(Object value)
    {
        if (value instanceof Number number) {
            return number.longValue();
        }
        if (value instanceof Boolean bit) {
            return bit ? 1L : 0L;
        }
        throw unexpected(value);
    }

    private byte[] bytes(Object value)
    {
        if (value instanceof byte[] bytes) {
            return bytes;
        }
        if (value instanceof ByteBuffer buffer) {
            ByteBuffer copy = buffer.duplicate();
            byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            return bytes;
        }
        throw unexpected(value);
    }

    private LocalDateTime timestamp(Object value)
    {
        if (value instanceof LocalDateTime local) {
            return local;
        }
        if (value instanceof Timestamp timestamp) {
            return LocalDateTime.ofInstant(timestamp.toInstant(), ZoneOffset.UTC);
        }
        if (value instanceof Instant instant) {
            return LocalDateTime.ofInstant(instant, ZoneOffset.UTC);
        }
        if (value instanceof OffsetDateTime offset) {
            return offset.withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
        }
        if (value instanceof ZonedDateTime zoned) {
            return zoned.withZoneSameInstant(ZoneOffset.UTC).toLocalDateTime();
        }
        if (value instanceof String text) {
            // Debezium's ZonedTimestamp: an ISO-8601 string in UTC.
            return OffsetDateTime.parse(text).withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
        }
        throw unexpected(value);
    }

    private boolean bit(Object value)
    {
        if (value instanceof Boolean bit) {
            return bit;
        }
        if (value instanceof Number number) {
            return number.longValue() != 0;
        }
        if (value instanceof byte[] bytes) {
            return bytes.length > 0 && bytes[bytes.length - 1] != 0;
        }
        throw unexpected(value);
    }

    private IllegalArgumentException unexpected(Object value)
    {
        return new IllegalArgumentException("%s cannot convert a %s".formatted(this, value.getClass().getName()));
    }

    /** A canonical value in PostgreSQL's COPY text format, escaped; {@code \N} for null. */
    public String copyText(Object canonical)
    {
        if (canonical == null) {
            return "\\N";
        }
        return switch (this) {
            case INTEGER, BIT_TO_INTEGER, FLOAT -> canonical.toString();
            case BIT_TO_BOOLEAN, BOOLEAN -> (Boolean) canonical ? "t" : "f";
            case STRING -> escape((String) canonical);
            case BYTES -> "\\\\x" + HexFormat.of().formatHex((byte[]) canonical);
            case TIMESTAMP -> COPY_TIMESTAMP.format((LocalDateTime) canonical);
        };
    }

    /** A canonical value as text that is equal for equal values, for checksums. */
    public String normalText(Object canonical)
    {
        if (canonical == null) {
            return "\u0000null";
        }
        return switch (this) {
            case BYTES -> HexFormat.of().formatHex((byte[]) canonical);
            case FLOAT -> BigDecimal.valueOf((Double) canonical).stripTrailingZeros().toPlainString();
            case TIMESTAMP -> COPY_TIMESTAMP.format((LocalDateTime) canonical);
            case INTEGER, BIT_TO_BOOLEAN, BOOLEAN, BIT_TO_INTEGER, STRING -> canonical.toString();
        };
    }

    private static String escape(String text)
    {
        StringBuilder out = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
