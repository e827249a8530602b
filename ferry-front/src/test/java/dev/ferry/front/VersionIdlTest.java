package dev.ferry.front;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The method classification and the per-version tables against each Hive version's own IDL: the generated
 * {@code ThriftHiveMetastore.Iface} of Hive 2.3.10 and 3.1.3, each loaded from its own jar in a classloader of its
 * own (their classes have the names of Ferry's 4.0.1 API).
 */
class VersionIdlTest
{
    private static final String IFACE = "org.apache.hadoop.hive.metastore.api.ThriftHiveMetastore$Iface";

    @Test
    void everyMethodOfHive23IdlIsClassified()
            throws Exception
    {
        // 154 methods of its own and the 13 of fb303 it inherits.
        Set<String> hive23 = idl(Path.of("target/hive-2.3-idl"));
        assertThat(hive23).hasSize(154 + 13).contains("add_index", "get_table", "get_indexes");
        assertThat(unclassified(hive23)).as("Hive 2.3 methods missing from HmsMethods").isEmpty();
    }

    @Test
    void everyMethodOfHive31IdlIsClassified()
            throws Exception
    {
        Set<String> hive31 = hive31();
        assertThat(hive31).hasSize(207 + 13).contains("get_table", "get_table_objects_by_name", "get_table_req");
        assertThat(unclassified(hive31)).as("Hive 3.1 methods missing from HmsMethods").isEmpty();
    }

    @Test
    void hive31TableCoversExactlyTheMethodsHive31Lacks()
            throws Exception
    {
        Set<String> lacking = names(ThriftHiveMetastore.Iface.class);
        lacking.removeAll(hive31());
        Set<String> declared = new TreeSet<>(Hive31Methods.emulatedNames());
        assertThat(declared).as("answered by the front and by the engine at once").doesNotContainAnyElementsOf(Hive31Methods.ANSWERED_BY_ENGINE);
        declared.addAll(Hive31Methods.ANSWERED_BY_ENGINE);
        assertThat(declared).isEqualTo(lacking);
        assertThat(Hive31Methods.emulatedNames()).contains("create_database_req", "get_database_req", "create_table_req", "drop_table_req",
                "get_partitions_req", "alter_table_req");
    }

    @Test
    void hive31SharesNoMethodWithTheLegacyTable()
            throws Exception
    {
        // Hive 3.1 still has get_table and get_table_objects_by_name; the front answers them the same way on every engine.
        assertThat(hive31()).contains("get_table", "get_table_objects_by_name").doesNotContain("add_index");
    }

    @Test
    void hive23TableCoversExactlyTheMethodsHive23Lacks()
            throws Exception
    {
        Set<String> hive23 = idl(Path.of(System.getProperty("ferry.engine.home.hive2")).resolve("lib"));
        // The engine's Hive 2.3.10 is the IDL the test above classifies.
        assertThat(hive23).isEqualTo(idl(Path.of("target/hive-2.3-idl")));
        Set<String> lacking = names(ThriftHiveMetastore.Iface.class);
        lacking.removeAll(hive23);
        assertThat(lacking).hasSize(134);
        Set<String> declared = new TreeSet<>(Hive23Methods.emulatedNames());
        assertThat(declared).as("answered by the front and by the engine at once").doesNotContainAnyElementsOf(Hive23Methods.ANSWERED_BY_ENGINE);
        declared.addAll(Hive23Methods.ANSWERED_BY_ENGINE);
        assertThat(declared).isEqualTo(lacking);
        assertThat(Hive23Methods.emulatedNames()).hasSize(25).contains("create_database_req", "get_database_req", "create_table_req", "drop_table_req",
                "get_partitions_req", "alter_table_req", "get_all_table_constraints");
        // Hive 2.3 has no truncate_table; its request form goes to the engine, which answers as HMS 2.3 does.
        assertThat(Hive23Methods.ANSWERED_BY_ENGINE).contains("truncate_table", "truncate_table_req", "get_catalogs", "get_unique_constraints");
        // Methods Hive 2.3 has, answered by the front because their Hive 2.3 answer has another shape.
        assertThat(hive23).containsAll(Hive23Methods.RESHAPED);
        assertThat(Hive23Methods.RESHAPED).allSatisfy(name -> assertThat(Hive23Methods.emulation(name)).isPresent());
    }

    private static Set<String> hive31()
            throws Exception
    {
        return idl(Path.of(System.getProperty("ferry.engine.home.hive3")).resolve("lib"));
    }

    private static Set<String> unclassified(Set<String> methods)
    {
        Set<String> missing = new TreeSet<>();
        for (String method : methods) {
            try {
                HmsMethods.classify(method);
            }
            catch (IllegalArgumentException e) {
                missing.add(method);
            }
        }
        return missing;
    }

    /** The Iface method names of the Hive metastore and Thrift jars in a folder, loaded apart from Ferry's. */
    private static Set<String> idl(Path folder)
            throws Exception
    {
        List<URL> jars = new ArrayList<>();
        try (Stream<Path> files = Files.list(folder)) {
            for (Path jar : files.filter(file -> {
                String name = file.getFileName().toString();
                return name.startsWith("hive-metastore-") || name.startsWith("hive-standalone-metastore-") || name.startsWith("libthrift-")
                        || name.startsWith("libfb303-");
            }).toList()) {
                jars.add(jar.toUri().toURL());
            }
        }
        jars.add(fb303());
        try (URLClassLoader loader = new URLClassLoader(jars.toArray(URL[]::new), ClassLoader.getPlatformClassLoader())) {
            Class<?> iface = loader.loadClass(IFACE);
            assertThat(iface.getClassLoader()).isSameAs(loader);
            return names(iface);
        }
    }

    private static URL fb303()
            throws IOException
    {
        // Hive's Iface extends fb303's; take the jar Ferry itself uses (the same 0.9.3).
        return com.facebook.fb303.FacebookService.class.getProtectionDomain().getCodeSource().getLocation();
    }

    private static Set<String> names(Class<?> api)
    {
        Set<String> names = new TreeSet<>();
        for (Method method : api.getMethods()) {
            names.add(method.getName());
        }
        return names;
    }
}
