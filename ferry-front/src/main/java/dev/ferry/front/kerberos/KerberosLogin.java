package dev.ferry.front.kerberos;

import java.io.File;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.Map;

import javax.security.auth.Subject;
import javax.security.auth.kerberos.KerberosPrincipal;
import javax.security.auth.kerberos.KeyTab;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;

import static java.util.Objects.requireNonNull;

/**
 * The Thrift front's Kerberos identity: a JAAS login from the keytab with the JDK's {@code Krb5LoginModule},
 * configured in code (the operator writes no JAAS file).
 *
 * <p>The login is an acceptor's only ({@code isInitiator=false}): the subject holds the keytab, not a ticket, since
 * accepting a client's service ticket needs the service's keys and nothing from the KDC. So there is no ticket to
 * expire and nothing to renew, however long Ferry runs, and the keytab is read when a client connects, so a
 * rotated keytab (new key versions) serves the next connection without a restart.
 */
public final class KerberosLogin
{
    private static final String ENTRY = "ferry-thrift-kerberos";

    private KerberosLogin() {}

    /**
     * Logs the service in from its keytab; fails with a message naming what is wrong when the keytab cannot be read or
     * holds no key of the principal.
     */
    public static Subject login(KerberosService service)
    {
        requireNonNull(service, "service is null");
        if (!Files.isRegularFile(service.keytab()) || !Files.isReadable(service.keytab())) {
            throw new IllegalArgumentException("the keytab %s does not exist or is not readable".formatted(service.keytab()));
        }
        KerberosPrincipal principal;
        try {
            principal = new KerberosPrincipal(service.principal(), KerberosPrincipal.KRB_NT_SRV_HST);
        }
        catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("%s is not a Kerberos principal: %s".formatted(service.principal(), e.getMessage()), e);
        }
        KeyTab keyTab = KeyTab.getInstance(principal, service.keytab().toFile());
        if (keyTab.getKeys(principal).length == 0) {
            throw new IllegalArgumentException("the keytab %s holds no key of %s (klist -kt %s lists the principals it holds)"
                    .formatted(service.keytab(), service.principal(), service.keytab()));
        }
        Subject subject = new Subject();
        try {
            LoginContext context = new LoginContext(ENTRY, subject, null, configuration(service.principal(), service.keytab().toFile()));
            context.login();
        }
        catch (LoginException e) {
            throw new IllegalArgumentException("cannot log in as %s from the keytab %s: %s".formatted(service.principal(), service.keytab(), e.getMessage()), e);
        }
        return subject;
    }

    private static Configuration configuration(String principal, File keytab)
    {
        Map<String, String> options = new HashMap<>();
        options.put("principal", principal);
        options.put("keyTab", keytab.getAbsolutePath());
        options.put("useKeyTab", "true");
        options.put("storeKey", "true");
        options.put("doNotPrompt", "true");
        options.put("isInitiator", "false");
        options.put("refreshKrb5Config", "true");
        AppConfigurationEntry entry = new AppConfigurationEntry("com.sun.security.auth.module.Krb5LoginModule",
                AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, options);
        return new Configuration()
        {
            @Override
            public AppConfigurationEntry[] getAppConfigurationEntry(String name)
            {
                return ENTRY.equals(name) ? new AppConfigurationEntry[] {entry} : null;
            }
        };
    }
}
