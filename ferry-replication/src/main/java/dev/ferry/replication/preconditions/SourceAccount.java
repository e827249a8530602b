package dev.ferry.replication.preconditions;

import static java.util.Objects.requireNonNull;

/** One of the users Ferry logs in to the source as. The password never appears in {@link #toString()}. */
record SourceAccount(Role role, String user, String password)
{
    enum Role
    {
        READER("reader user"),
        CDC("CDC user"),
        READER_AND_CDC("reader and CDC user");

        private final String label;

        Role(String label)
        {
            this.label = label;
        }

        String label()
        {
            return label;
        }
    }

    SourceAccount
    {
        requireNonNull(role, "role is null");
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
    }

    /** Such as {@code CDC user 'ferry_cdc'}, for messages. */
    String describe()
    {
        return "%s '%s'".formatted(role.label(), user);
    }

    @Override
    public String toString()
    {
        return "SourceAccount[%s, user=%s]".formatted(role, user);
    }
}
