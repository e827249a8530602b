package dev.ferry.control.security;

import static java.util.Objects.requireNonNull;

/** Who made a call: the principal a token was issued to, and the role it carries. */
public record Principal(String name, Role role, String tokenId)
{
    public Principal
    {
        requireNonNull(name, "name is null");
        requireNonNull(role, "role is null");
        requireNonNull(tokenId, "tokenId is null");
    }
}
