package dev.ferry.replication.source;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.util.Objects.requireNonNull;

/** The source server's product and version, parsed from {@code SELECT VERSION()} such as {@code 10.11.5-MariaDB-log}. */
public record ServerVersion(String text, Flavor flavor, int major, int minor, int patch)
{
    /** MariaDB or MySQL (Percona Server and Aurora MySQL count as MySQL). */
    public enum Flavor
    {
        MARIADB,
        MYSQL,
    }

    private static final Pattern NUMBERS = Pattern.compile("^(\\d+)\\.(\\d+)\\.(\\d+)");

    public ServerVersion
    {
        requireNonNull(text, "text is null");
        requireNonNull(flavor, "flavor is null");
    }

    public static ServerVersion parse(String text)
    {
        requireNonNull(text, "text is null");
        Flavor flavor = text.toLowerCase(Locale.ROOT).contains("mariadb") ? Flavor.MARIADB : Flavor.MYSQL;
        Matcher matcher = NUMBERS.matcher(text);
        if (!matcher.find()) {
            return new ServerVersion(text, flavor, 0, 0, 0);
        }
        return new ServerVersion(text, flavor, Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2)), Integer.parseInt(matcher.group(3)));
    }

    public boolean atLeast(int major, int minor, int patch)
    {
        if (this.major != major) {
            return this.major > major;
        }
        if (this.minor != minor) {
            return this.minor > minor;
        }
        return this.patch >= patch;
    }

    /** {@code 8.0.15}, without the suffix the server adds. */
    public String number()
    {
        return major + "." + minor + "." + patch;
    }

    /**
     * The name the server gives the privilege that {@code SHOW BINARY LOGS} and {@code SHOW MASTER STATUS} need.
     * MariaDB 10.5.2 split it out of REPLICATION CLIENT, which it still accepts as an alias in GRANT.
     */
    public String binlogMonitorPrivilege()
    {
        return flavor == Flavor.MARIADB && atLeast(10, 5, 2) ? "BINLOG MONITOR" : "REPLICATION CLIENT";
    }

    /** MySQL 8.2 renamed SHOW MASTER STATUS and 8.4 removed the old name; MariaDB keeps it. */
    public String binlogStatusStatement()
    {
        return flavor == Flavor.MYSQL && atLeast(8, 2, 0) ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS";
    }
}
