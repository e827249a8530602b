package dev.ferry.control.rest;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.zip.CRC32;

import dev.ferry.control.ControlException;
import dev.ferry.control.FieldViolation;

import static java.util.Objects.requireNonNull;

/**
 * The list parameters of API.md: {@code pageSize} (default 500, larger than 1000 clamped), an opaque
 * {@code pageToken} valid only with the same filter and order, {@code filter} (an AIP-160 subset: comparisons
 * {@code = != < <= > >= :} of a field with a value, combined with AND, OR, NOT and parentheses) and
 * {@code orderBy} (fields, each optionally {@code asc} or {@code desc}).
 */
public final class ListQuery<T>
{
    public static final int DEFAULT_PAGE_SIZE = 500;
    public static final int MAX_PAGE_SIZE = 1000;
    private static final Set<String> PARAMETERS = Set.of("pageSize", "pageToken", "filter", "orderBy", "page_size", "page_token", "order_by");
    /** Longer filters are refused: evaluating one builds a chain of predicates as long as the filter. */
    static final int MAX_FILTER_LENGTH = 4096;
    /** Deeper nesting (parentheses, NOT, -) is refused: the parser recurses once per level. */
    static final int MAX_FILTER_DEPTH = 32;

    /** A field that can be filtered and ordered on. */
    public record Field<T>(String name, Kind kind, Function<T, Object> value, Set<String> enumValues)
    {
        public enum Kind
        {
            STRING,
            ENUM,
            TIME,
            BOOLEAN,
        }

        public Field
        {
            requireNonNull(name, "name is null");
            requireNonNull(kind, "kind is null");
            requireNonNull(value, "value is null");
            enumValues = Set.copyOf(enumValues);
        }

        public static <T> Field<T> string(String name, Function<T, Object> value)
        {
            return new Field<>(name, Kind.STRING, value, Set.of());
        }

        public static <T> Field<T> time(String name, Function<T, Object> value)
        {
            return new Field<>(name, Kind.TIME, value, Set.of());
        }

        public static <T> Field<T> bool(String name, Function<T, Object> value)
        {
            return new Field<>(name, Kind.BOOLEAN, value, Set.of());
        }

        public static <T, E extends Enum<E>> Field<T> enumeration(String name, Class<E> type, Function<T, Object> value)
        {
            return new Field<>(name, Kind.ENUM, value, java.util.Arrays.stream(type.getEnumConstants()).map(Enum::name).collect(java.util.stream.Collectors.toSet()));
        }
    }

    /** One page of results. */
    public record Page<T>(List<T> items, Optional<String> nextPageToken) {}

    private final int pageSize;
    private final int offset;
    private final Predicate<T> filter;
    private final Comparator<T> order;
    private final String fingerprint;

    private ListQuery(int pageSize, int offset, Predicate<T> filter, Comparator<T> order, String fingerprint)
    {
        this.pageSize = pageSize;
        this.offset = offset;
        this.filter = filter;
        this.order = order;
        this.fingerprint = fingerprint;
    }

    /**
     * @param collection the collection listed, such as its path: a page token is valid only for the collection it came from
     * @param defaultOrder the order when orderBy is absent; ties are always broken by {@code name}
     */
    public static <T> ListQuery<T> parse(String collection, Map<String, String> parameters, Map<String, Field<T>> fields, Comparator<T> defaultOrder, Field<T> nameField)
    {
        requireNonNull(collection, "collection is null");
        List<FieldViolation> violations = new ArrayList<>();
        for (String parameter : parameters.keySet()) {
            if (!PARAMETERS.contains(parameter)) {
                violations.add(new FieldViolation(parameter, "unknown query parameter; this list takes pageSize, pageToken, filter and orderBy"));
            }
        }
        int pageSize = pageSize(parameter(parameters, "pageSize", "page_size"), violations);
        String filterText = parameter(parameters, "filter", "filter").orElse("").trim();
        String orderText = parameter(parameters, "orderBy", "order_by").orElse("").trim();
        Predicate<T> filter = item -> true;
        if (filterText.length() > MAX_FILTER_LENGTH) {
            violations.add(new FieldViolation("filter", "must be at most %s characters, got %s".formatted(MAX_FILTER_LENGTH, filterText.length())));
        }
        else if (!filterText.isEmpty()) {
            try {
                filter = new FilterParser<>(filterText, fields).parse();
            }
            catch (IllegalArgumentException e) {
                violations.add(new FieldViolation("filter", e.getMessage()));
            }
        }
        Comparator<T> order = defaultOrder;
        if (!orderText.isEmpty()) {
            try {
                order = orderBy(orderText, fields);
            }
            catch (IllegalArgumentException e) {
                violations.add(new FieldViolation("orderBy", e.getMessage()));
            }
        }
        order = order.thenComparing(item -> (String) nameField.value().apply(item));
        String fingerprint = fingerprint(collection, filterText, orderText);
        int offset = 0;
        Optional<String> token = parameter(parameters, "pageToken", "page_token").filter(text -> !text.isEmpty());
        if (token.isPresent()) {
            offset = decodeToken(token.get(), fingerprint, violations);
        }
        if (!violations.isEmpty()) {
            throw ControlException.invalid(violations);
        }
        return new ListQuery<>(pageSize, offset, filter, order, fingerprint);
    }

    public Page<T> apply(List<T> all)
    {
        List<T> matching = all.stream().filter(filter).sorted(order).toList();
        int from = Math.min(offset, matching.size());
        int to = Math.min(from + pageSize, matching.size());
        Optional<String> next = to < matching.size() ? Optional.of(encodeToken(to, fingerprint)) : Optional.empty();
        return new Page<>(matching.subList(from, to), next);
    }

    private static Optional<String> parameter(Map<String, String> parameters, String camel, String snake)
    {
        return Optional.ofNullable(parameters.getOrDefault(camel, parameters.get(snake)));
    }

    private static int pageSize(Optional<String> text, List<FieldViolation> violations)
    {
        if (text.isEmpty() || text.get().isEmpty()) {
            return DEFAULT_PAGE_SIZE;
        }
        long size;
        try {
            size = Long.parseLong(text.get());
        }
        catch (NumberFormatException e) {
            violations.add(new FieldViolation("pageSize", "must be an integer, got \"%s\"".formatted(StartMigrationRequest.abbreviate(text.get()))));
            return DEFAULT_PAGE_SIZE;
        }
        if (size < 0) {
            violations.add(new FieldViolation("pageSize", "must not be negative, got " + size));
            return DEFAULT_PAGE_SIZE;
        }
        return size == 0 ? DEFAULT_PAGE_SIZE : (int) Math.min(size, MAX_PAGE_SIZE);
    }

    private static String fingerprint(String collection, String filter, String orderBy)
    {
        CRC32 crc = new CRC32();
        crc.update((collection + "\u0000" + filter + "\u0000" + orderBy).getBytes(StandardCharsets.UTF_8));
        return Long.toHexString(crc.getValue());
    }

    private static String encodeToken(int offset, String fingerprint)
    {
        return Base64.getUrlEncoder().withoutPadding().encodeToString("v1:%s:%s".formatted(offset, fingerprint).getBytes(StandardCharsets.UTF_8));
    }

    private static int decodeToken(String token, String fingerprint, List<FieldViolation> violations)
    {
        String[] parts;
        try {
            parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split(":");
        }
        catch (IllegalArgumentException e) {
            parts = new String[0];
        }
        if (parts.length != 3 || !parts[0].equals("v1") || !parts[1].matches("\\d{1,9}")) {
            violations.add(new FieldViolation("pageToken", "not a page token this API returned"));
            return 0;
        }
        if (!parts[2].equals(fingerprint)) {
            violations.add(new FieldViolation("pageToken", "was returned for a different filter or orderBy; repeat the request with the same parameters, or start without a token"));
            return 0;
        }
        return Integer.parseInt(parts[1]);
    }

    private static <T> Comparator<T> orderBy(String text, Map<String, Field<T>> fields)
    {
        Comparator<T> order = null;
        for (String clause : text.split(",")) {
            String[] words = clause.trim().split("\\s+");
            if (words.length == 0 || words[0].isEmpty() || words.length > 2) {
                throw new IllegalArgumentException("each clause is a field name, optionally followed by asc or desc, such as \"createTime desc\"; got \"%s\"".formatted(clause.trim()));
            }
            Field<T> field = fields.get(words[0]);
            if (field == null) {
                throw new IllegalArgumentException("cannot order by \"%s\"; fields: %s".formatted(words[0], String.join(", ", fields.keySet().stream().sorted().toList())));
            }
            boolean descending = false;
            if (words.length == 2) {
                switch (words[1].toLowerCase(Locale.ROOT)) {
                    case "asc" -> descending = false;
                    case "desc" -> descending = true;
                    default -> throw new IllegalArgumentException("the direction after %s must be asc or desc, got \"%s\"".formatted(words[0], words[1]));
                }
            }
            Comparator<T> next = Comparator.comparing(item -> comparable(field.value().apply(item)), Comparator.nullsFirst(Comparator.naturalOrder()));
            if (descending) {
                next = next.reversed();
            }
            order = order == null ? next : order.thenComparing(next);
        }
        return order;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Comparable comparable(Object value)
    {
        if (value instanceof Optional<?> optional) {
            return (Comparable) optional.orElse(null);
        }
        if (value instanceof Enum<?> enumeration) {
            return enumeration.name();
        }
        return (Comparable) value;
    }

    /** A recursive-descent parser for the filter subset; OR binds looser than AND, as in AIP-160. */
    private static final class FilterParser<T>
    {
        private final String text;
        private final Map<String, Field<T>> fields;
        private int position;
        private int depth;

        FilterParser(String text, Map<String, Field<T>> fields)
        {
            this.text = text;
            this.fields = fields;
        }

        Predicate<T> parse()
        {
            Predicate<T> predicate = or();
            skipSpaces();
            if (position < text.length()) {
                throw new IllegalArgumentException("unexpected \"%s\" at position %s".formatted(StartMigrationRequest.abbreviate(text.substring(position)), position + 1));
            }
            return predicate;
        }

        private Predicate<T> or()
        {
            Predicate<T> left = and();
            while (keyword("OR")) {
                left = left.or(and());
            }
            return left;
        }

        private Predicate<T> and()
        {
            Predicate<T> left = unary();
            while (true) {
                if (keyword("AND")) {
                    left = left.and(unary());
                    continue;
                }
                skipSpaces();
                // AIP-160: juxtaposed terms are joined by AND.
                if (position < text.length() && text.charAt(position) != ')' && !lookingAtKeyword("OR")) {
                    left = left.and(unary());
                    continue;
                }
                return left;
            }
        }

        private Predicate<T> unary()
        {
            if (++depth > MAX_FILTER_DEPTH) {
                throw new IllegalArgumentException("nested more than %s deep (parentheses, NOT and -) at position %s".formatted(MAX_FILTER_DEPTH, position + 1));
            }
            try {
                if (keyword("NOT")) {
                    return unary().negate();
                }
                skipSpaces();
                if (position < text.length() && text.charAt(position) == '-') {
                    position++;
                    return unary().negate();
                }
                if (position < text.length() && text.charAt(position) == '(') {
                    position++;
                    Predicate<T> inner = or();
                    skipSpaces();
                    if (position >= text.length() || text.charAt(position) != ')') {
                        throw new IllegalArgumentException("missing \")\"");
                    }
                    position++;
                    return inner;
                }
                return comparison();
            }
            finally {
                depth--;
            }
        }

        private Predicate<T> comparison()
        {
            skipSpaces();
            int start = position;
            while (position < text.length() && (Character.isLetterOrDigit(text.charAt(position)) || text.charAt(position) == '_' || text.charAt(position) == '.')) {
                position++;
            }
            String name = StartMigrationRequest.camelCase(text.substring(start, position));
            if (name.isEmpty()) {
                throw new IllegalArgumentException("expected a field name at position %s".formatted(start + 1));
            }
            Field<T> field = fields.get(name);
            if (field == null) {
                throw new IllegalArgumentException("cannot filter on \"%s\"; fields: %s".formatted(name, String.join(", ", fields.keySet().stream().sorted().toList())));
            }
            skipSpaces();
            String operator = operator();
            skipSpaces();
            String literal = literal();
            return predicate(field, operator, literal);
        }

        private String operator()
        {
            for (String candidate : List.of("<=", ">=", "!=", "=", "<", ">", ":")) {
                if (text.startsWith(candidate, position)) {
                    position += candidate.length();
                    return candidate;
                }
            }
            throw new IllegalArgumentException("expected one of = != < <= > >= : at position %s".formatted(position + 1));
        }

        private String literal()
        {
            if (position < text.length() && text.charAt(position) == '"') {
                StringBuilder value = new StringBuilder();
                position++;
                while (position < text.length() && text.charAt(position) != '"') {
                    if (text.charAt(position) == '\\' && position + 1 < text.length()) {
                        position++;
                    }
                    value.append(text.charAt(position++));
                }
                if (position >= text.length()) {
                    throw new IllegalArgumentException("unterminated string");
                }
                position++;
                return value.toString();
            }
            int start = position;
            while (position < text.length() && !Character.isWhitespace(text.charAt(position)) && text.charAt(position) != ')') {
                position++;
            }
            if (start == position) {
                throw new IllegalArgumentException("expected a value at position %s".formatted(start + 1));
            }
            return text.substring(start, position);
        }

        private Predicate<T> predicate(Field<T> field, String operator, String literal)
        {
            Comparable<?> wanted = switch (field.kind()) {
                case STRING -> literal;
                case ENUM -> {
                    if (!field.enumValues().contains(literal)) {
                        throw new IllegalArgumentException("%s has no value \"%s\"; values: %s".formatted(field.name(), literal,
                                String.join(", ", field.enumValues().stream().sorted().toList())));
                    }
                    yield literal;
                }
                case TIME -> {
                    try {
                        yield Instant.parse(literal);
                    }
                    catch (DateTimeParseException e) {
                        throw new IllegalArgumentException("%s needs an RFC 3339 time such as \"2026-01-31T12:00:00Z\", got \"%s\"".formatted(field.name(), literal));
                    }
                }
                case BOOLEAN -> {
                    if (!literal.equals("true") && !literal.equals("false")) {
                        throw new IllegalArgumentException("%s needs true or false, got \"%s\"".formatted(field.name(), literal));
                    }
                    yield Boolean.valueOf(literal);
                }
            };
            if ((field.kind() == Field.Kind.ENUM || field.kind() == Field.Kind.BOOLEAN) && !operator.equals("=") && !operator.equals("!=") && !operator.equals(":")) {
                throw new IllegalArgumentException("%s can only be compared with = or !=".formatted(field.name()));
            }
            return item -> {
                @SuppressWarnings({"unchecked", "rawtypes"})
                Comparable actual = comparable(field.value().apply(item));
                if (actual == null) {
                    return operator.equals("!=");
                }
                @SuppressWarnings("unchecked")
                int comparison = actual.compareTo(wanted);
                return switch (operator) {
                    case "=", ":" -> comparison == 0;
                    case "!=" -> comparison != 0;
                    case "<" -> comparison < 0;
                    case "<=" -> comparison <= 0;
                    case ">" -> comparison > 0;
                    case ">=" -> comparison >= 0;
                    default -> throw new IllegalStateException(operator);
                };
            };
        }

        private boolean keyword(String word)
        {
            if (lookingAtKeyword(word)) {
                skipSpaces();
                position += word.length();
                return true;
            }
            return false;
        }

        private boolean lookingAtKeyword(String word)
        {
            skipSpaces();
            int end = position + word.length();
            return text.startsWith(word, position) && (end == text.length() || Character.isWhitespace(text.charAt(end)) || text.charAt(end) == '(');
        }

        private void skipSpaces()
        {
            while (position < text.length() && Character.isWhitespace(text.charAt(position))) {
                position++;
            }
        }
    }
}
