package dev.powernode.server.provision;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A file to stream, {@code size} bytes named {@code fileName}: a node's personalised disk or a
 * published file as is. {@link #writeTo} streams the published file through the patches and fails
 * (before the last bytes) if the file is not the verified one.
 */
public interface Download {
    String fileName();

    long size();

    void writeTo(OutputStream out) throws IOException;
}
