package dev.vnet.control.capture;

import dev.vnet.dataplane.trace.PcapngWriter;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** pcapng to a file or stream: one interface per port, declared when the port's first frame comes. */
public final class PcapngFileWriter implements FrameFileWriter {
    private final Counting out;
    private final boolean closeStream;
    private final PcapngWriter writer;
    private final List<String> interfaces = new ArrayList<>();

    /** Writes to {@code stream}; {@code closeStream} says whether {@link #close} closes it (not for stdout). */
    public PcapngFileWriter(OutputStream stream, boolean closeStream, int snapLength, String application)
            throws IOException {
        this.out = new Counting(new BufferedOutputStream(stream, 1 << 16));
        this.closeStream = closeStream;
        this.writer = new PcapngWriter(out, snapLength, application);
    }

    /** Creates (or truncates) {@code file}. */
    public static PcapngFileWriter create(Path file, int snapLength, String application) throws IOException {
        return new PcapngFileWriter(Files.newOutputStream(file), true, snapLength, application);
    }

    @Override
    public void frame(String port, int direction, long timeMicros, byte[] data, int length, int wire, String comment)
            throws IOException {
        int id = interfaces.indexOf(port);
        if (id < 0) {
            id = writer.addInterface(port);
            interfaces.add(port);
        }
        writer.writeFrame(id, timeMicros, data, length, wire, direction, comment);
    }

    @Override
    public void flush() throws IOException {
        writer.flush();
        out.flush();
    }

    @Override
    public long bytes() {
        return out.count;
    }

    @Override
    public void close() throws IOException {
        flush();
        if (closeStream) {
            out.close();
        }
    }

    /** Counts what passes through. */
    private static final class Counting extends FilterOutputStream {
        long count;

        Counting(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
