package dev.ferry.server.config;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The Hive settings passed through to every engine: a Hadoop-style site file ({@code engine.site-file}, such as an
 * existing metastore-site.xml), then {@code engine.properties}, which win. The settings Ferry decides itself are
 * refused in {@code engine.properties} and dropped from a site file (which usually carries them), with a warning.
 * Whether Hive knows the other keys only the engine can tell; Ferry asks it at start-up.
 */
final class EngineProperties
{
    /** Settings Ferry decides, under each of their names, with what to set instead. */
    static final Map<String, String> FERRY_OWNED = ferryOwned();

    private static final String PROPERTIES_KEY = "engine.properties";
    private static final String SITE_FILE_KEY = "engine.site-file";
    private static final List<String> MANAGED_ROOT = List.of("metastore.warehouse.dir", "hive.metastore.warehouse.dir");
    private static final List<String> EXTERNAL_ROOT = List.of("metastore.warehouse.external.dir", "hive.metastore.warehouse.external.dir");

    private EngineProperties() {}

    private static Map<String, String> ferryOwned()
    {
        Map<String, String> owned = new LinkedHashMap<>();
        String database = "the metastore database is the own database (own-database.*) or a migration's source";
        owned.put("javax.jdo.option.ConnectionURL", database);
        owned.put("javax.jdo.option.ConnectionDriverName", database);
        owned.put("javax.jdo.option.ConnectionUserName", database);
        owned.put("javax.jdo.option.ConnectionPassword", database);
        String front = "clients connect to Ferry's Thrift front (thrift.host, thrift.port)";
        owned.put("metastore.thrift.uris", front);
        owned.put("hive.metastore.uris", front);
        owned.put("metastore.thrift.port", front);
        owned.put("hive.metastore.port", front);
        String schema = "Ferry creates and checks the metastore schema itself";
        owned.put("metastore.schema.verification", schema);
        owned.put("hive.metastore.schema.verification", schema);
        owned.put("datanucleus.schema.autoCreateAll", schema);
        String housekeeping = "set engine.background-tasks";
        owned.put("metastore.housekeeping.threads.on", housekeeping);
        owned.put("hive.metastore.housekeeping.threads.on", housekeeping);
        return Map.copyOf(owned);
    }

    /** What the engines get, and what Ferry should say about it at start-up. */
    record Result(Map<String, String> properties, Optional<Path> siteFile, List<String> warnings) {}

    static Result read(ConfigReader reader, Path warehouseDirectory)
    {
        List<String> warnings = new ArrayList<>();
        Map<String, String> merged = new LinkedHashMap<>();
        Optional<Path> siteFile = Optional.ofNullable(reader.path(SITE_FILE_KEY, null));
        if (siteFile.isPresent()) {
            Map<String, String> fromFile = readSiteFile(reader, siteFile.get());
            List<String> dropped = new ArrayList<>();
            for (Map.Entry<String, String> entry : fromFile.entrySet()) {
                if (FERRY_OWNED.containsKey(entry.getKey())) {
                    dropped.add(entry.getKey());
                }
                else {
                    merged.put(entry.getKey(), entry.getValue());
                }
            }
            if (!dropped.isEmpty()) {
                warnings.add("%s: %s sets %s, which Ferry decides itself; ignored".formatted(SITE_FILE_KEY, siteFile.get(), String.join(", ", dropped)));
            }
        }
        Map<String, String> properties = reader.map(PROPERTIES_KEY);
        for (Map.Entry<String, String> entry : properties.entrySet()) {
            String why = FERRY_OWNED.get(entry.getKey());
            if (why != null) {
                reader.problem(PROPERTIES_KEY + "." + entry.getKey(), "Ferry sets this itself: " + why);
                continue;
            }
            merged.put(entry.getKey(), entry.getValue());
        }
        checkWarehouseRoots(reader, merged, warehouseDirectory);
        return new Result(Map.copyOf(merged), siteFile, List.copyOf(warnings));
    }

    /**
     * Hive refuses an external table at its default location when the external root lies inside the managed one
     * ("An external table's location should not be located within managed warehouse root directory").
     */
    private static void checkWarehouseRoots(ConfigReader reader, Map<String, String> properties, Path warehouseDirectory)
    {
        Optional<String> managedKey = MANAGED_ROOT.stream().filter(properties::containsKey).findFirst();
        Optional<String> externalKey = EXTERNAL_ROOT.stream().filter(properties::containsKey).findFirst();
        if (managedKey.isEmpty() && externalKey.isEmpty()) {
            return;
        }
        Path absolute = warehouseDirectory.toAbsolutePath();
        String managed = managedKey.map(properties::get).orElse(absolute.resolve("managed").toUri().toString());
        String external = externalKey.map(properties::get).orElse(absolute.resolve("external").toUri().toString());
        Optional<URI> managedUri = uri(reader, managedKey, managed);
        Optional<URI> externalUri = uri(reader, externalKey, external);
        if (managedUri.isEmpty() || externalUri.isEmpty()) {
            return;
        }
        String managedPath = withSlash(managedUri.get());
        String externalPath = withSlash(externalUri.get());
        if (externalPath.startsWith(managedPath)) {
            String key = PROPERTIES_KEY + "." + externalKey.orElse(managedKey.orElseThrow());
            reader.problem(key, "the external warehouse root %s lies inside the managed one %s; Hive refuses external tables at their default location there: put them side by side"
                    .formatted(external, managed));
        }
    }

    private static Optional<URI> uri(ConfigReader reader, Optional<String> key, String value)
    {
        try {
            URI uri = new URI(value).normalize();
            return Optional.of(uri.getScheme() == null ? Path.of(value).toAbsolutePath().toUri() : uri);
        }
        catch (URISyntaxException e) {
            reader.problem(PROPERTIES_KEY + "." + key.orElse("metastore.warehouse.dir"), "is not a path or URI: " + e.getMessage());
            return Optional.empty();
        }
    }

    private static String withSlash(URI uri)
    {
        String text = (uri.getScheme() + "://" + (uri.getAuthority() == null ? "" : uri.getAuthority()) + uri.getPath());
        return text.endsWith("/") ? text : text + "/";
    }

    /** The name/value pairs of a Hadoop configuration file ({@code <configuration><property><name>..<value>..}). */
    private static Map<String, String> readSiteFile(ConfigReader reader, Path file)
    {
        Map<String, String> entries = new LinkedHashMap<>();
        try (InputStream input = Files.newInputStream(file)) {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            NodeList properties = factory.newDocumentBuilder().parse(input).getElementsByTagName("property");
            for (int i = 0; i < properties.getLength(); i++) {
                Element property = (Element) properties.item(i);
                String name = text(property, "name");
                if (name == null || name.isBlank()) {
                    reader.problem(SITE_FILE_KEY, "%s: property %s has no name".formatted(file, i + 1));
                    continue;
                }
                String value = text(property, "value");
                entries.put(name.trim(), value == null ? "" : value);
            }
        }
        catch (NoSuchFileException e) {
            reader.problem(SITE_FILE_KEY, "%s does not exist".formatted(file));
        }
        catch (IOException e) {
            reader.problem(SITE_FILE_KEY, "cannot read %s: %s".formatted(file, e.getMessage()));
        }
        catch (SAXException | ParserConfigurationException e) {
            reader.problem(SITE_FILE_KEY, "%s is not a Hadoop configuration file: %s".formatted(file, e.getMessage()));
        }
        return entries;
    }

    private static String text(Element parent, String tag)
    {
        NodeList nodes = parent.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent();
    }
}
