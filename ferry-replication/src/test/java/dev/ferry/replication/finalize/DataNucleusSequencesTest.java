package dev.ferry.replication.finalize;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import javax.xml.parsers.DocumentBuilderFactory;

import dev.ferry.replication.fixtures.TestMetastores;
import dev.ferry.replication.schema.SchemaMapping;
import dev.ferry.replication.schema.TableMapping;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import static org.assertj.core.api.Assertions.assertThat;

class DataNucleusSequencesTest
{
    /**
     * Reads Hive's own object-relational mapping from the engine's server jar, so that a Hive version with a new
     * model class, or a moved id column, fails here instead of leaving a generator behind at finalize.
     */
    @Test
    void everyGeneratedIdOfHivesMappingHasItsColumn()
            throws Exception
    {
        checkAgainstPackageJdo(TestMetastores.mapping(), TestMetastores.engineHome(), "hive-standalone-metastore-server-");
    }

    @Test
    void everyGeneratedIdOfHive31MappingHasItsColumn()
            throws Exception
    {
        Path home = Path.of(System.getProperty("ferry.engine.home.hive3"));
        SchemaMapping mapping = SchemaMapping.derive(home.resolve("scripts/metastore/upgrade"), "3.1.0");
        checkAgainstPackageJdo(mapping, home, "hive-standalone-metastore-3.");
        assertThat(DataNucleusSequences.idColumns(mapping.tables().keySet())).containsEntry("MIndex", new IdColumn("IDXS", "INDEX_ID"))
                .doesNotContainKey("MTxnWriteNotificationLog");
    }

    @Test
    void everyGeneratedIdOfHive23MappingHasItsColumn()
            throws Exception
    {
        Path home = Path.of(System.getProperty("ferry.engine.home.hive2"));
        SchemaMapping mapping = SchemaMapping.derive(home.resolve("scripts/metastore/upgrade"), "2.3.0");
        checkAgainstPackageJdo(mapping, home, "hive-metastore-2.");
        assertThat(DataNucleusSequences.idColumns(mapping.tables().keySet())).containsEntry("MIndex", new IdColumn("IDXS", "INDEX_ID"))
                .doesNotContainKey("MTxnWriteNotificationLog");
    }

    private static void checkAgainstPackageJdo(SchemaMapping mapping, Path engineHome, String serverJarPrefix)
            throws Exception
    {
        Map<String, IdColumn> expected = new TreeMap<>();
        Element root = packageJdo(engineHome, serverJarPrefix).getDocumentElement();
        NodeList classes = root.getElementsByTagName("class");
        for (int i = 0; i < classes.getLength(); i++) {
            Element type = (Element) classes.item(i);
            if ("true".equals(type.getAttribute("embedded-only"))) {
                continue;
            }
            String table = type.getAttribute("table").toUpperCase(Locale.ROOT);
            String identity = type.getAttribute("identity-type");
            if (identity.isEmpty() || identity.equals("datastore")) {
                // Without a column named, DataNucleus names it after the table; Hive's scripts make it the key.
                String column = firstColumn(type.getElementsByTagName("datastore-identity"));
                if (column == null) {
                    TableMapping declared = mapping.table(table);
                    assertThat(declared.rowKey()).as(table).hasSize(1);
                    column = declared.rowKey().get(0);
                }
                expected.put(type.getAttribute("name"), new IdColumn(table, column));
                continue;
            }
            NodeList fields = type.getElementsByTagName("field");
            for (int j = 0; j < fields.getLength(); j++) {
                Element field = (Element) fields.item(j);
                if ("true".equals(field.getAttribute("primary-key")) && !field.getAttribute("value-strategy").isEmpty()) {
                    expected.put(type.getAttribute("name"), new IdColumn(table, firstColumn(field.getElementsByTagName("column"))));
                }
            }
        }
        assertThat(new TreeMap<>(DataNucleusSequences.idColumns(mapping.tables().keySet()))).isEqualTo(expected);
        for (IdColumn column : expected.values()) {
            assertThat(mapping.table(column.table()).column(column.column()).name()).isEqualTo(column.column());
        }
    }

    @Test
    void sequenceNamesAreModelClassNames()
    {
        assertThat(DataNucleusSequences.idColumn("org.apache.hadoop.hive.metastore.model.MPartition")).contains(new IdColumn("PARTITIONS", "PART_ID"));
        assertThat(DataNucleusSequences.idColumn("org.apache.hadoop.hive.metastore.model.MNoSuchClass")).isEmpty();
        assertThat(DataNucleusSequences.idColumn("MPartition")).isEmpty();
    }

    private static String firstColumn(NodeList holders)
    {
        for (int i = 0; i < holders.getLength(); i++) {
            Element holder = (Element) holders.item(i);
            if (holder.getTagName().equals("column") && !holder.getAttribute("name").isEmpty()) {
                return holder.getAttribute("name").toUpperCase(Locale.ROOT);
            }
            NodeList columns = holder.getElementsByTagName("column");
            if (columns.getLength() > 0) {
                return ((Element) columns.item(0)).getAttribute("name").toUpperCase(Locale.ROOT);
            }
        }
        return null;
    }

    private static Document packageJdo(Path engineHome, String serverJarPrefix)
            throws Exception
    {
        Path jar;
        try (Stream<Path> jars = Files.list(engineHome.resolve("lib"))) {
            List<Path> servers = jars.filter(path -> path.getFileName().toString().startsWith(serverJarPrefix)).toList();
            assertThat(servers).hasSize(1);
            jar = servers.get(0);
        }
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry entry = zip.getEntry("package.jdo");
            assertThat(entry).as("package.jdo in " + jar).isNotNull();
            try (InputStream input = zip.getInputStream(entry)) {
                DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
                factory.setValidating(false);
                factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
                return factory.newDocumentBuilder().parse(input);
            }
        }
    }
}
