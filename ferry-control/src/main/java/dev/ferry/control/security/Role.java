package dev.ferry.control.security;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

import static dev.ferry.control.security.Permission.MIGRATIONS_CANCEL;
import static dev.ferry.control.security.Permission.MIGRATIONS_COMPLETE;
import static dev.ferry.control.security.Permission.MIGRATIONS_DELETE;
import static dev.ferry.control.security.Permission.MIGRATIONS_GET;
import static dev.ferry.control.security.Permission.MIGRATIONS_LIST;
import static dev.ferry.control.security.Permission.MIGRATIONS_START;
import static dev.ferry.control.security.Permission.OPERATIONS_GET;
import static dev.ferry.control.security.Permission.OPERATIONS_LIST;
import static dev.ferry.control.security.Permission.SERVICES_GET;
import static dev.ferry.control.security.Permission.SERVICES_LIST;
import static dev.ferry.control.security.Permission.SERVICES_UPDATE;
import static dev.ferry.control.security.Permission.TOKENS_MANAGE;

/** The permission matrix of docs/API.md. */
public enum Role
{
    VIEWER("roles/metastore.viewer", EnumSet.of(SERVICES_GET, SERVICES_LIST, MIGRATIONS_GET, MIGRATIONS_LIST, OPERATIONS_GET, OPERATIONS_LIST)),
    MIGRATION_ADMIN("roles/metastore.migrationAdmin", EnumSet.of(SERVICES_GET, SERVICES_LIST, MIGRATIONS_GET, MIGRATIONS_LIST, OPERATIONS_GET, OPERATIONS_LIST,
            MIGRATIONS_START, MIGRATIONS_COMPLETE, MIGRATIONS_CANCEL)),
    EDITOR("roles/metastore.editor", EnumSet.of(SERVICES_GET, SERVICES_LIST, MIGRATIONS_GET, MIGRATIONS_LIST, OPERATIONS_GET, OPERATIONS_LIST,
            MIGRATIONS_START, MIGRATIONS_COMPLETE, MIGRATIONS_CANCEL, MIGRATIONS_DELETE, SERVICES_UPDATE)),
    ADMIN("roles/metastore.admin", EnumSet.allOf(Permission.class));

    private final String wireName;
    private final Set<Permission> permissions;

    Role(String wireName, Set<Permission> permissions)
    {
        this.wireName = wireName;
        this.permissions = Set.copyOf(permissions);
    }

    public String wireName()
    {
        return wireName;
    }

    public boolean allows(Permission permission)
    {
        return permissions.contains(permission);
    }

    /** Accepts the wire name ({@code roles/metastore.editor}) or the short one ({@code editor}). */
    public static Optional<Role> parse(String text)
    {
        return Arrays.stream(values())
                .filter(role -> role.wireName.equals(text) || role.wireName.equals("roles/metastore." + text))
                .findFirst();
    }
}
