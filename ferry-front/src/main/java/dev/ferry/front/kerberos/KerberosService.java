package dev.ferry.front.kerberos;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import static java.util.Objects.requireNonNull;

/**
 * Kerberos on the Thrift port ({@code thrift.kerberos.*}): the service's principal and the keytab that holds its keys.
 * With it, every client authenticates with SASL GSSAPI before its first call, as with an HMS that has
 * {@code metastore.sasl.enabled}, and each call runs as the client's user.
 *
 * @param principal the service principal, {@code _HOST} already replaced ({@code hive/metastore.example.com@EXAMPLE.COM})
 * @param keytab the keytab holding the principal's keys
 * @param minimumQop the least protection a client may negotiate; anything stronger is accepted too
 */
public record KerberosService(String principal, Path keytab, Qop minimumQop)
{
    /** SASL's quality of protection, with Hadoop's names for it ({@code hadoop.rpc.protection}). */
    public enum Qop
    {
        AUTH("auth", "authentication"),
        AUTH_INT("auth-int", "integrity"),
        AUTH_CONF("auth-conf", "privacy");

        private final String saslName;
        private final String hadoopName;

        Qop(String saslName, String hadoopName)
        {
            this.saslName = saslName;
            this.hadoopName = hadoopName;
        }

        public String saslName()
        {
            return saslName;
        }

        /** {@code auth}, {@code auth-int}, {@code auth-conf}, or Hadoop's {@code authentication}, {@code integrity}, {@code privacy}. */
        public static Optional<Qop> parse(String value)
        {
            String name = value.trim().toLowerCase(Locale.ROOT);
            for (Qop qop : values()) {
                if (qop.saslName.equals(name) || qop.hadoopName.equals(name)) {
                    return Optional.of(qop);
                }
            }
            return Optional.empty();
        }

        /**
         * The SASL {@code javax.security.sasl.qop} of the server: this protection and every stronger one, strongest
         * first, so a client gets what it asks for as long as it is at least this.
         */
        public String saslServerList()
        {
            List<String> accepted = new java.util.ArrayList<>();
            for (int i = values().length - 1; i >= ordinal(); i--) {
                accepted.add(values()[i].saslName);
            }
            return String.join(",", accepted);
        }
    }

    public KerberosService
    {
        requireNonNull(principal, "principal is null");
        requireNonNull(keytab, "keytab is null");
        requireNonNull(minimumQop, "minimumQop is null");
        ServicePrincipal.parse(principal);
    }

    /** The principal's service name, {@code hive} in {@code hive/host@REALM}: the SASL protocol clients ask for. */
    public String serviceName()
    {
        return ServicePrincipal.parse(principal).service();
    }

    /** The principal's host, {@code host} in {@code hive/host@REALM}: the SASL server name. */
    public String hostName()
    {
        return ServicePrincipal.parse(principal).host();
    }

    /**
     * A service principal {@code service/host@REALM}.
     */
    record ServicePrincipal(String service, String host, String realm)
    {
        static ServicePrincipal parse(String principal)
        {
            int slash = principal.indexOf('/');
            int at = principal.lastIndexOf('@');
            if (slash <= 0 || at <= slash + 1 || at == principal.length() - 1 || principal.indexOf('/', slash + 1) >= 0) {
                throw new IllegalArgumentException("must be a service principal SERVICE/HOST@REALM (such as hive/_HOST@EXAMPLE.COM), got " + principal);
            }
            return new ServicePrincipal(principal.substring(0, slash), principal.substring(slash + 1, at), principal.substring(at + 1));
        }
    }

    /**
     * The principal with {@code _HOST} replaced by {@code host} in lower case, as Hadoop's
     * {@code SecurityUtil.getServerPrincipal} does for an HMS.
     */
    public static String resolveHost(String principal, String host)
    {
        ServicePrincipal parsed = ServicePrincipal.parse(principal);
        if (!parsed.host().equals("_HOST")) {
            return principal;
        }
        return parsed.service() + "/" + host.toLowerCase(Locale.ROOT) + "@" + parsed.realm();
    }

    /**
     * The user a client's principal maps to, its first component ({@code alice} for {@code alice@EXAMPLE.COM} and
     * {@code alice/admin@EXAMPLE.COM}), as Hadoop's {@code DEFAULT} auth_to_local rule maps the principals of the
     * default realm.
     */
    public static String shortName(String principal)
    {
        int end = principal.length();
        int slash = principal.indexOf('/');
        int at = principal.indexOf('@');
        if (slash >= 0) {
            end = slash;
        }
        if (at >= 0 && at < end) {
            end = at;
        }
        return principal.substring(0, end);
    }
}
