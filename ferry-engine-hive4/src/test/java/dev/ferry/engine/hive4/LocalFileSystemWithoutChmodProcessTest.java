package dev.ferry.engine.hive4;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import dev.ferry.engine.spi.EngineSettings;
import dev.ferry.engine.spi.EngineSettings.BackgroundTasks;
import dev.ferry.engine.spi.EngineSettings.NotificationLog;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

class LocalFileSystemWithoutChmodProcessTest
{
    @TempDir
    java.nio.file.Path temporary;

    @Test
    void mapsEveryModeAsChmodWould()
    {
        for (int mode = 0; mode <= 0777; mode++) {
            FsPermission permission = new FsPermission((short) mode);
            assertThat(LocalFileSystemWithoutChmodProcess.posix(permission)).as(Integer.toOctalString(mode))
                    .isEqualTo(PosixFilePermissions.fromString(permission.toString()));
        }
    }

    @Test
    void isTheEnginesLocalFileSystemUnlessAnOverrideNamesAnother()
            throws Exception
    {
        Configuration conf = MetastoreConfigurations.of(settings(Map.of()));
        try (FileSystem fs = FileSystem.newInstance(temporary.toUri(), conf)) {
            assertThat(fs).isInstanceOf(LocalFileSystemWithoutChmodProcess.class);
        }
        Configuration overridden = MetastoreConfigurations.of(settings(Map.of("fs.file.impl", LocalFileSystem.class.getName())));
        try (FileSystem fs = FileSystem.newInstance(temporary.toUri(), overridden)) {
            assertThat(fs.getClass()).isEqualTo(LocalFileSystem.class);
        }
    }

    @Test
    void makesDirectoriesWithTheUmaskAndSetsPermissions()
            throws Exception
    {
        Configuration conf = MetastoreConfigurations.of(settings(Map.of()));
        conf.set("fs.permissions.umask-mode", "027");
        try (FileSystem fs = FileSystem.newInstance(temporary.toUri(), conf)) {
            Path nested = new Path(temporary.toUri().toString(), "db.db/table/day=1");
            assertThat(fs.mkdirs(nested)).isTrue();
            for (String directory : new String[] {"db.db", "db.db/table", "db.db/table/day=1"}) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(temporary.resolve(directory), LinkOption.NOFOLLOW_LINKS)))
                        .as(directory).isEqualTo("rwxr-x---");
            }
            fs.setPermission(nested, new FsPermission((short) 0700));
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(temporary.resolve("db.db/table/day=1")))).isEqualTo("rwx------");
            // java.nio cannot set the sticky bit: Hadoop's chmod does, and Hadoop's status reads it back.
            fs.setPermission(nested, new FsPermission((short) 01777));
            FsPermission read = fs.getFileStatus(nested).getPermission();
            assertThat(read.getStickyBit()).isTrue();
            assertThat(read.toShort() & 0777).isEqualTo(0777);
        }
    }

    private static EngineSettings settings(Map<String, String> overrides)
    {
        return new EngineSettings("test", "jdbc:postgresql://127.0.0.1:5432/hms", "hive", "secret", java.nio.file.Path.of("/warehouse"),
                BackgroundTasks.OFF, NotificationLog.OFF, overrides);
    }
}
