package dev.ferry.engine;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

import static java.util.Objects.requireNonNull;

/**
 * Loads an engine's classes from its own jars before anything else, so each engine has its own copy of the
 * metastore's JVM-wide state (JDO factory, DatabaseProduct, TxnHandler pools). Classes of the JDK come from the
 * platform; classes in the shared packages (the HMS Thrift API, Thrift, logging, Ferry's engine SPI) come from
 * Ferry's classloader, so objects of those types cross the boundary. Nothing else is delegated: a class an
 * engine needs that is not in its jars fails to load instead of silently binding to Ferry's copy.
 */
final class ChildFirstClassLoader
        extends URLClassLoader
{
    /** Shared with every engine: the SPI and the logging APIs, so HMS logs where Ferry logs. */
    static final List<String> SHARED_PACKAGES = List.of(
            "dev.ferry.engine.spi.",
            "org.slf4j.",
            "org.apache.commons.logging.",
            "org.apache.logging.log4j.",
            "org.apache.logging.slf4j.");

    /**
     * Shared only with engines of the Hive version whose Thrift API Ferry uses ({@link EngineHome.ThriftApi#SHARED}):
     * the HMS Thrift API and the Thrift library, so structs cross the boundary as objects.
     */
    static final List<String> THRIFT_API_PACKAGES = List.of(
            "org.apache.hadoop.hive.metastore.api.",
            "org.apache.thrift.",
            "com.facebook.fb303.");

    /**
     * Inside a shared package but not part of the Thrift API: Hive's {@code DecimalUtils}, which only the
     * metastore server's jar carries and which HMS uses to store decimal column statistics.
     */
    static final List<String> ENGINE_PACKAGES = List.of("org.apache.hadoop.hive.metastore.api.utils.");

    static {
        registerAsParallelCapable();
    }

    private final ClassLoader shared;
    private final EngineHome.ThriftApi thriftApi;
    private final ClassLoader platform = ClassLoader.getPlatformClassLoader();

    ChildFirstClassLoader(String name, URL[] urls, ClassLoader shared)
    {
        this(name, urls, shared, EngineHome.ThriftApi.SHARED);
    }

    ChildFirstClassLoader(String name, URL[] urls, ClassLoader shared, EngineHome.ThriftApi thriftApi)
    {
        super(name, urls, null);
        this.shared = requireNonNull(shared, "shared is null");
        this.thriftApi = requireNonNull(thriftApi, "thriftApi is null");
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve)
            throws ClassNotFoundException
    {
        synchronized (getClassLoadingLock(name)) {
            Class<?> loaded = findLoadedClass(name);
            if (loaded == null) {
                loaded = loadUnresolved(name);
            }
            if (resolve) {
                resolveClass(loaded);
            }
            return loaded;
        }
    }

    private Class<?> loadUnresolved(String name)
            throws ClassNotFoundException
    {
        if (isShared(name, thriftApi)) {
            return shared.loadClass(name);
        }
        try {
            return platform.loadClass(name);
        }
        catch (ClassNotFoundException notInPlatform) {
            return findClass(name);
        }
    }

    static boolean isShared(String className)
    {
        return isShared(className, EngineHome.ThriftApi.SHARED);
    }

    static boolean isShared(String className, EngineHome.ThriftApi thriftApi)
    {
        for (String prefix : SHARED_PACKAGES) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        if (thriftApi == EngineHome.ThriftApi.OWN) {
            return false;
        }
        for (String prefix : ENGINE_PACKAGES) {
            if (className.startsWith(prefix)) {
                return false;
            }
        }
        for (String prefix : THRIFT_API_PACKAGES) {
            if (className.startsWith(prefix)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public URL getResource(String name)
    {
        URL url = findResource(name);
        if (url != null) {
            return url;
        }
        url = platform.getResource(name);
        return url != null ? url : shared.getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name)
            throws IOException
    {
        List<URL> urls = new ArrayList<>(Collections.list(findResources(name)));
        urls.addAll(Collections.list(platform.getResources(name)));
        if (isSharedResource(name, thriftApi)) {
            urls.addAll(Collections.list(shared.getResources(name)));
        }
        return Collections.enumeration(urls);
    }

    private static boolean isSharedResource(String name, EngineHome.ThriftApi thriftApi)
    {
        // Service files of shared types, such as the engine SPI, must be visible from both sides.
        return name.startsWith("META-INF/services/") && isShared(name.substring("META-INF/services/".length()), thriftApi);
    }
}
