package dev.ferry.engine.hive4;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import dev.ferry.engine.spi.EngineRuntimeFactory.UnknownSetting;
import org.apache.hadoop.hive.metastore.conf.MetastoreConf.ConfVars;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The configuration keys this engine knows: every name of every Hive metastore setting, every key of Hadoop's
 * default files (core, HDFS, which list S3A's too), and the families passed on whole: DataNucleus and JDO
 * properties (HMS hands every {@code datanucleus.*} and {@code javax.jdo.*} key to its persistence layer), S3A's
 * per-bucket keys and the GCS connector's keys (which no default file lists).
 */
final class KnownSettings
{
    private static final List<String> PASSED_ON_FAMILIES = List.of("datanucleus.", "javax.jdo.", "fs.s3a.bucket.", "fs.gs.", "google.cloud.", "fs.AbstractFileSystem.");

    private final Set<String> keys;

    private KnownSettings(Set<String> keys)
    {
        this.keys = Set.copyOf(keys);
    }

    static KnownSettings load()
    {
        Set<String> keys = new HashSet<>();
        for (ConfVars variable : ConfVars.values()) {
            keys.add(variable.getVarname());
            keys.add(variable.getHiveName());
        }
        for (String defaults : List.of("core-default.xml", "hdfs-default.xml")) {
            keys.addAll(namesIn(defaults));
        }
        return new KnownSettings(keys);
    }

    /**
     * The property names a Hadoop default file lists. Read from the file, not through {@code Configuration}, which
     * drops the properties without a default value (most of S3A's).
     */
    private static List<String> namesIn(String resource)
    {
        URL url = KnownSettings.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException("the engine has no " + resource);
        }
        // Not through the JVM's cache of opened jars: an engine classloader closes the jar files its resource streams
        // used, and a cached one would be closed under another engine's classloader reading the same jar at that moment.
        try (InputStream input = uncached(url)) {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            NodeList names = factory.newDocumentBuilder().parse(input).getElementsByTagName("name");
            List<String> found = new ArrayList<>();
            for (int i = 0; i < names.getLength(); i++) {
                found.add(names.item(i).getTextContent().trim());
            }
            return found;
        }
        catch (IOException | ParserConfigurationException | SAXException e) {
            throw new IllegalStateException("cannot read " + resource + ": " + e.getMessage(), e);
        }
    }

    private static InputStream uncached(URL url)
            throws IOException
    {
        URLConnection connection = url.openConnection();
        connection.setUseCaches(false);
        return connection.getInputStream();
    }

    boolean knows(String key)
    {
        return keys.contains(key) || PASSED_ON_FAMILIES.stream().anyMatch(key::startsWith);
    }

    List<UnknownSetting> unknown(Set<String> given)
    {
        List<UnknownSetting> unknown = new ArrayList<>();
        for (String key : given.stream().sorted().toList()) {
            if (!knows(key)) {
                unknown.add(new UnknownSetting(key, closest(key)));
            }
        }
        return unknown;
    }

    private String closest(String unknown)
    {
        int bound = Math.max(2, unknown.length() / 5);
        return keys.stream()
                .filter(candidate -> Math.abs(candidate.length() - unknown.length()) <= bound)
                .min(Comparator.comparingInt(candidate -> distance(candidate, unknown)))
                .filter(candidate -> distance(candidate, unknown) <= bound)
                .orElse("");
    }

    private static int distance(String a, String b)
    {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitution = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitution, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }
}
