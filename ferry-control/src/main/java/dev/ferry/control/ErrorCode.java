package dev.ferry.control;

/** The google.rpc codes the API answers with, each with its HTTP status. */
public enum ErrorCode
{
    INVALID_ARGUMENT(3, 400),
    /** A body over the size limit: INVALID_ARGUMENT on the wire, with HTTP's own status for it. */
    REQUEST_TOO_LARGE(3, 413),
    FAILED_PRECONDITION(9, 400),
    UNAUTHENTICATED(16, 401),
    PERMISSION_DENIED(7, 403),
    NOT_FOUND(5, 404),
    ALREADY_EXISTS(6, 409),
    ABORTED(10, 409),
    UNAVAILABLE(14, 503),
    INTERNAL(13, 500);

    private final int rpcCode;
    private final int httpStatus;

    ErrorCode(int rpcCode, int httpStatus)
    {
        this.rpcCode = rpcCode;
        this.httpStatus = httpStatus;
    }

    /** The google.rpc.Code number, as an Operation's {@code error.code} carries it. */
    public int rpcCode()
    {
        return rpcCode;
    }

    public int httpStatus()
    {
        return httpStatus;
    }

    /** The google.rpc.Code name, as an error's {@code status} carries it. */
    public String statusName()
    {
        return this == REQUEST_TOO_LARGE ? INVALID_ARGUMENT.name() : name();
    }
}
