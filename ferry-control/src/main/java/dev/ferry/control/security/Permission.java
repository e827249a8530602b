package dev.ferry.control.security;

/** What an API call needs; named as in the Dataproc Metastore IAM permissions, without the "metastore." prefix. */
public enum Permission
{
    SERVICES_GET("services.get"),
    SERVICES_LIST("services.list"),
    /** Changes the service itself: upgradeHiveVersion. */
    SERVICES_UPDATE("services.update"),
    MIGRATIONS_GET("migrations.get"),
    MIGRATIONS_LIST("migrations.list"),
    MIGRATIONS_START("migrations.start"),
    MIGRATIONS_COMPLETE("migrations.complete"),
    MIGRATIONS_CANCEL("migrations.cancel"),
    MIGRATIONS_DELETE("migrations.delete"),
    OPERATIONS_GET("operations.get"),
    OPERATIONS_LIST("operations.list"),
    TOKENS_MANAGE("tokens.manage");

    private final String wireName;

    Permission(String wireName)
    {
        this.wireName = wireName;
    }

    /** As error messages name it: {@code metastore.migrations.start}. */
    public String qualifiedName()
    {
        return "metastore." + wireName;
    }
}
