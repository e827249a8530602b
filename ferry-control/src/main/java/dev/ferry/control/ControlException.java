package dev.ferry.control;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** An error a caller of the API sees: a code, a message with the identifiers in it, and any field violations. */
public class ControlException
        extends RuntimeException
{
    private final ErrorCode code;
    private final List<FieldViolation> violations;

    public ControlException(ErrorCode code, String message)
    {
        this(code, message, List.of(), null);
    }

    public ControlException(ErrorCode code, String message, Throwable cause)
    {
        this(code, message, List.of(), cause);
    }

    public ControlException(ErrorCode code, String message, List<FieldViolation> violations, Throwable cause)
    {
        super(requireNonNull(message, "message is null"), cause);
        this.code = requireNonNull(code, "code is null");
        this.violations = List.copyOf(violations);
    }

    public static ControlException invalid(List<FieldViolation> violations)
    {
        String message = violations.size() == 1
                ? "invalid %s: %s".formatted(violations.get(0).field(), violations.get(0).description())
                : "the request has %s invalid fields; see details".formatted(violations.size());
        return new ControlException(ErrorCode.INVALID_ARGUMENT, message, violations, null);
    }

    public static ControlException invalid(String field, String description)
    {
        return invalid(List.of(new FieldViolation(field, description)));
    }

    public ErrorCode code()
    {
        return code;
    }

    public List<FieldViolation> violations()
    {
        return violations;
    }
}
