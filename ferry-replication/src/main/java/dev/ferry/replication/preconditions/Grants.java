package dev.ferry.replication.preconditions;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The global privileges in the output of {@code SHOW GRANTS}. Only the {@code ON *.*} lines count: REPLICATION SLAVE
 * and the binlog monitor privilege exist at the global level only. Role grants ({@code GRANT `r` TO ...}) carry no
 * {@code ON}; the caller asks the server for the grants of the active roles (MariaDB lists them itself).
 */
final class Grants
{
    private static final Pattern GLOBAL_GRANT = Pattern.compile("^GRANT\\s+(.+?)\\s+ON\\s+\\*\\.\\*\\s+TO\\s+", Pattern.CASE_INSENSITIVE);

    private Grants() {}

    /** The global privileges the lines grant, upper case, {@code ALL PRIVILEGES} spelled out as such. */
    static Set<String> globalPrivileges(List<String> grantLines)
    {
        Set<String> privileges = new LinkedHashSet<>();
        for (String line : grantLines) {
            Matcher matcher = GLOBAL_GRANT.matcher(line.strip());
            if (!matcher.find()) {
                continue;
            }
            for (String privilege : matcher.group(1).split(",")) {
                String name = privilege.strip().replaceAll("\\s+", " ").toUpperCase(Locale.ROOT);
                privileges.add(name.equals("ALL") ? "ALL PRIVILEGES" : name);
            }
        }
        return privileges;
    }

    /** Whether the lines grant a global privilege, directly or through ALL PRIVILEGES. */
    static boolean grantsGlobally(List<String> grantLines, String privilege)
    {
        Set<String> privileges = globalPrivileges(grantLines);
        return privileges.contains("ALL PRIVILEGES") || privileges.contains(privilege.toUpperCase(Locale.ROOT));
    }
}
