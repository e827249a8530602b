package dev.ferry.replication;

import java.util.Optional;
import java.util.Properties;

import static java.util.Objects.requireNonNull;

/**
 * The own PostgreSQL database replication writes to. The password never appears in {@link #toString()}.
 *
 * @param applicationName what replication's connections call themselves in {@code pg_stat_activity} (pgjdbc's
 *     {@code ApplicationName}), so that another replica can find and end them (issue 16); empty: the driver's default
 */
public record OwnDatabaseTarget(String jdbcUrl, String user, String password, Optional<String> applicationName)
{
    /** PostgreSQL keeps the first 63 bytes of an application name (NAMEDATALEN - 1). */
    private static final int MAX_APPLICATION_NAME = 63;

    public OwnDatabaseTarget
    {
        requireNonNull(jdbcUrl, "jdbcUrl is null");
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
        requireNonNull(applicationName, "applicationName is null");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("the own database must be PostgreSQL: " + jdbcUrl);
        }
        applicationName.ifPresent(name -> {
            // PostgreSQL cuts longer names and turns other characters into '?': a search by prefix would miss them.
            if (name.isEmpty() || name.length() > MAX_APPLICATION_NAME || !name.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
                throw new IllegalArgumentException("an application name must be 1 to %s printable ASCII characters: '%s'".formatted(MAX_APPLICATION_NAME, name));
            }
        });
    }

    public OwnDatabaseTarget(String jdbcUrl, String user, String password)
    {
        this(jdbcUrl, user, password, Optional.empty());
    }

    public OwnDatabaseTarget withApplicationName(String name)
    {
        return new OwnDatabaseTarget(jdbcUrl, user, password, Optional.of(name));
    }

    /** The driver properties of a connection: the user, the password and the application name, if any. */
    public Properties connectionProperties()
    {
        Properties properties = new Properties();
        properties.setProperty("user", user);
        properties.setProperty("password", password);
        applicationName.ifPresent(name -> properties.setProperty("ApplicationName", name));
        return properties;
    }

    @Override
    public String toString()
    {
        return "OwnDatabaseTarget[%s, user=%s%s]".formatted(jdbcUrl, user, applicationName.map(name -> ", applicationName=" + name).orElse(""));
    }
}
