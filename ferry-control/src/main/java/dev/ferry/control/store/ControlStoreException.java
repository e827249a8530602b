package dev.ferry.control.store;

/** The control store cannot be read or written: the own database is down or refused a statement. */
public class ControlStoreException
        extends RuntimeException
{
    public ControlStoreException(String message, Throwable cause)
    {
        super(message, cause);
    }
}
