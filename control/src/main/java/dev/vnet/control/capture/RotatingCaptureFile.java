package dev.vnet.control.capture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A capture file that rotates by size, like logrotate: FILE is always the newest; when it has grown past the bound
 * it becomes FILE's name with ".1" before the extension (blue.1.pcapng), the older ones move up one number, and files
 * beyond {@code keep} in all are deleted. Each file is complete on its own (headers and interfaces repeated).
 */
public final class RotatingCaptureFile implements FrameFileWriter {
    /** Upper bound of a record's framing in either format (pcapng block header, options and padding). */
    private static final int RECORD_OVERHEAD = 96;

    private final Path file;
    private final long rotateBytes;
    private final int keep;
    private final int snapLength;
    private FrameFileWriter current;
    private long rotations;
    private long framesInCurrent;

    /** Opens {@code file}; {@code rotateBytes} 0 never rotates; {@code keep} counts FILE and its rotated copies. */
    public RotatingCaptureFile(Path file, long rotateBytes, int keep, int snapLength) throws IOException {
        this.file = file;
        this.rotateBytes = rotateBytes;
        this.keep = Math.max(1, keep);
        this.snapLength = snapLength;
        this.current = FrameFileWriter.create(file, snapLength, "vnet");
    }

    /** Appends a frame (see {@link FrameFileWriter#frame}), rotating first if the file is full. */
    @Override
    public void frame(String port, int direction, long timeMicros, byte[] data, int length, int wire, String comment)
            throws IOException {
        // A frame larger than the bound still gets a file of its own rather than rotating for ever.
        if (rotateBytes > 0 && framesInCurrent > 0 && current.bytes() + length + RECORD_OVERHEAD > rotateBytes) {
            rotate();
        }
        current.frame(port, direction, timeMicros, data, length, wire, comment);
        framesInCurrent++;
    }

    private void rotate() throws IOException {
        current.close();
        Files.deleteIfExists(numbered(keep - 1));
        for (int i = keep - 2; i >= 1; i--) {
            Path from = numbered(i);
            if (Files.exists(from)) {
                Files.move(from, numbered(i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (keep > 1) {
            Files.move(file, numbered(1), StandardCopyOption.REPLACE_EXISTING);
        }
        current = FrameFileWriter.create(file, snapLength, "vnet");
        framesInCurrent = 0;
        rotations++;
    }

    /** FILE with {@code n} before its extension: blue.pcapng → blue.2.pcapng (no extension: blue → blue.2). */
    public Path numbered(int n) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String numbered = dot <= 0 ? name + "." + n : name.substring(0, dot) + "." + n + name.substring(dot);
        return file.resolveSibling(numbered);
    }

    /** How many times the file has rotated. */
    public long rotations() {
        return rotations;
    }

    @Override
    public void flush() throws IOException {
        current.flush();
    }

    /** Bytes in the current file. */
    @Override
    public long bytes() {
        return current.bytes();
    }

    @Override
    public void close() throws IOException {
        current.close();
    }
}
