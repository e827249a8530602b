package dev.ferry.engine.hive2;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsAction;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.io.nativeio.NativeIO;

/**
 * Hadoop's {@code file:} file system, setting permissions through java.nio instead of a {@code chmod} process.
 * Without Hadoop's native library (Ferry does not ship it), {@link RawLocalFileSystem} runs {@code chmod} for every
 * directory it makes: every table and partition directory HMS creates on a local warehouse costs a process started
 * from the metastore's JVM, which made a 20-partition {@code add_partitions} several times slower than its database
 * work. Permissions with a sticky bit (which java.nio cannot set), file systems without POSIX permissions, and
 * machines where the native library is loaded keep Hadoop's way.
 */
public final class LocalFileSystemWithoutChmodProcess
        extends LocalFileSystem
{
    public LocalFileSystemWithoutChmodProcess()
    {
        super(new Raw());
    }

    static final class Raw
            extends RawLocalFileSystem
    {
        @Override
        public void setPermission(Path path, FsPermission permission)
                throws IOException
        {
            if (NativeIO.isAvailable() || permission.getStickyBit()) {
                super.setPermission(path, permission);
                return;
            }
            try {
                Files.setPosixFilePermissions(pathToFile(path).toPath(), posix(permission));
            }
            catch (UnsupportedOperationException e) {
                super.setPermission(path, permission);
            }
        }
    }

    static Set<PosixFilePermission> posix(FsPermission permission)
    {
        Set<PosixFilePermission> posix = EnumSet.noneOf(PosixFilePermission.class);
        add(posix, permission.getUserAction(), PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
        add(posix, permission.getGroupAction(), PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE);
        add(posix, permission.getOtherAction(), PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
        return posix;
    }

    private static void add(Set<PosixFilePermission> posix, FsAction action, PosixFilePermission read, PosixFilePermission write, PosixFilePermission execute)
    {
        if (action.implies(FsAction.READ)) {
            posix.add(read);
        }
        if (action.implies(FsAction.WRITE)) {
            posix.add(write);
        }
        if (action.implies(FsAction.EXECUTE)) {
            posix.add(execute);
        }
    }
}
