package dev.powernode.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Where a secret the API shows once is kept when it should not land in a terminal or a log. */
final class SecretFile {
    private SecretFile() {}

    /**
     * Refuses a file that exists or a folder that cannot take it, before the API mints a secret
     * that would otherwise be lost (a rotation also ends the old one).
     */
    static void checkWritable(Path file) {
        if (Files.exists(file)) {
            throw new CliException("will not overwrite " + file + ": it exists", 2);
        }
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir) || !Files.isWritable(dir)) {
            throw new CliException("cannot create " + file + ": " + dir + " is not a writable folder", 2);
        }
    }

    /** Writes {@code secret} to a new file only its owner can read; an existing file is refused. */
    static void write(Path file, String secret) {
        try {
            try {
                Files.createFile(
                        file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                Files.createFile(file);
            }
            Files.writeString(file, secret + "\n");
        } catch (FileAlreadyExistsException e) {
            throw new CliException("will not overwrite " + file + ": it exists", 2);
        } catch (IOException e) {
            throw new CliException("cannot write " + file + ": " + e.getMessage());
        }
    }
}
