package dev.ferry.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivilegedExceptionAction;
import java.util.HashMap;
import java.util.Map;

import javax.security.auth.Subject;
import javax.security.auth.login.AppConfigurationEntry;
import javax.security.auth.login.Configuration;
import javax.security.auth.login.LoginContext;
import javax.security.auth.login.LoginException;

import org.apache.kerby.kerberos.kerb.KrbException;
import org.apache.kerby.kerberos.kerb.server.SimpleKdcServer;

/**
 * A real KDC in the test's JVM (Apache Kerby's SimpleKdcServer, the one Hadoop's MiniKdc runs), for realm
 * {@link #REALM} on a free TCP port of the loopback interface, with its files in a temporary directory. Starting it
 * points the JDK's Kerberos at its krb5.conf ({@code java.security.krb5.conf}); logins made with
 * {@link #login} re-read that file, so a KDC of an earlier test class in the same JVM is forgotten. Its module
 * declares Kerby (test scope) itself.
 */
public final class TestKdc
        implements AutoCloseable
{
    public static final String REALM = "EXAMPLE.COM";

    private final SimpleKdcServer kdc;
    private final Path directory;

    private TestKdc(SimpleKdcServer kdc, Path directory)
    {
        this.kdc = kdc;
        this.directory = directory;
    }

    public static TestKdc start()
    {
        try {
            Path directory = Files.createTempDirectory("ferry-kdc-");
            SimpleKdcServer kdc = new SimpleKdcServer();
            kdc.setWorkDir(directory.toFile());
            kdc.setKdcHost("localhost");
            kdc.setKdcRealm(REALM);
            kdc.setAllowUdp(false);
            kdc.setKdcTcpPort(FreePorts.next());
            kdc.init();
            kdc.start();
            Path krb5Conf = directory.resolve("krb5.conf");
            // Service principals name the host as given (hive/localhost), not as DNS canonicalizes it.
            Files.writeString(krb5Conf, Files.readString(krb5Conf).replace("[libdefaults]",
                    "[libdefaults]\n    dns_canonicalize_hostname = false\n    rdns = false\n    dns_lookup_kdc = false\n    dns_lookup_realm = false"));
            System.setProperty("java.security.krb5.conf", krb5Conf.toString());
            return new TestKdc(kdc, directory);
        }
        catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        catch (KrbException e) {
            throw new IllegalStateException("cannot start the test KDC: " + e.getMessage(), e);
        }
    }

    /** The krb5.conf clients of this KDC use. */
    public Path krb5Conf()
    {
        return directory.resolve("krb5.conf");
    }

    /** Creates a principal ({@code hive/localhost}, {@code alice}; the realm is added) with a random key and writes its keytab. */
    public Path createPrincipal(String name)
    {
        try {
            String principal = name.contains("@") ? name : name + "@" + REALM;
            Path keytab = directory.resolve(name.replace('/', '_').replace('@', '_') + ".keytab");
            kdc.createPrincipal(principal);
            kdc.exportPrincipal(principal, keytab.toFile());
            return keytab;
        }
        catch (KrbException e) {
            throw new IllegalStateException("cannot create the principal %s: %s".formatted(name, e.getMessage()), e);
        }
    }

    /** A client login of {@code principal} from its keytab, with a ticket-granting ticket, as {@code kinit -kt} makes one. */
    public static Subject login(String principal, Path keytab)
    {
        Map<String, String> options = new HashMap<>();
        options.put("principal", principal.contains("@") ? principal : principal + "@" + REALM);
        options.put("keyTab", keytab.toString());
        options.put("useKeyTab", "true");
        options.put("storeKey", "true");
        options.put("doNotPrompt", "true");
        options.put("refreshKrb5Config", "true");
        AppConfigurationEntry entry = new AppConfigurationEntry("com.sun.security.auth.module.Krb5LoginModule", AppConfigurationEntry.LoginModuleControlFlag.REQUIRED, options);
        Subject subject = new Subject();
        try {
            new LoginContext("client", subject, null, new Configuration()
            {
                @Override
                public AppConfigurationEntry[] getAppConfigurationEntry(String name)
                {
                    return new AppConfigurationEntry[] {entry};
                }
            }).login();
        }
        catch (LoginException e) {
            throw new IllegalStateException("cannot log in as %s: %s".formatted(principal, e.getMessage()), e);
        }
        return subject;
    }

    /** Runs {@code action} as {@code subject}, throwing what it throws. */
    public static <T> T as(Subject subject, PrivilegedExceptionAction<T> action)
            throws Exception
    {
        try {
            return Subject.doAs(subject, action);
        }
        catch (java.security.PrivilegedActionException e) {
            throw e.getException();
        }
    }

    @Override
    public void close()
    {
        try {
            kdc.stop();
        }
        catch (KrbException e) {
            throw new IllegalStateException(e);
        }
        finally {
            TempDirectories.deleteRecursively(directory);
        }
    }
}
