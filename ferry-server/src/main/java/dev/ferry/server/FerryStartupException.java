package dev.ferry.server;

/** Ferry cannot start; the message says why in one line, for the operator. */
public class FerryStartupException
        extends RuntimeException
{
    public FerryStartupException(String message)
    {
        super(message);
    }

    public FerryStartupException(String message, Throwable cause)
    {
        super(message, cause);
    }
}
