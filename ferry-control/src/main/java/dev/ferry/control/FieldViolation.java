package dev.ferry.control;

import static java.util.Objects.requireNonNull;

/** One entry of a google.rpc.BadRequest: the offending field's path in the request and what is wrong with it. */
public record FieldViolation(String field, String description)
{
    public FieldViolation
    {
        requireNonNull(field, "field is null");
        requireNonNull(description, "description is null");
    }
}
