package dev.ferry.control.model;

import java.util.Locale;

/** OperationMetadata.verb. */
public enum Verb
{
    START,
    COMPLETE,
    CANCEL,
    DELETE;

    public String wireName()
    {
        return name().toLowerCase(Locale.ROOT);
    }
}
