package dev.ferry.cli;

import java.util.List;

import static java.util.Objects.requireNonNull;

/** An error the API answered with: its google.rpc status, message and field violations. */
public final class ApiException
        extends CliException
{
    /** One entry of the error's google.rpc.BadRequest. */
    public record Violation(String field, String description)
    {
        public Violation
        {
            requireNonNull(field, "field is null");
            requireNonNull(description, "description is null");
        }
    }

    private final int httpStatus;
    private final String status;
    private final List<Violation> violations;

    public ApiException(int httpStatus, String status, String message, List<Violation> violations)
    {
        super(ExitCodes.FAILED, message);
        this.httpStatus = httpStatus;
        this.status = requireNonNull(status, "status is null");
        this.violations = List.copyOf(violations);
    }

    public int httpStatus()
    {
        return httpStatus;
    }

    /** {@code INVALID_ARGUMENT}, {@code FAILED_PRECONDITION}, ... */
    public String status()
    {
        return status;
    }

    public List<Violation> violations()
    {
        return violations;
    }
}
