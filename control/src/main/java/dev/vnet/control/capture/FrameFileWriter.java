package dev.vnet.control.capture;

import dev.vnet.dataplane.trace.Capture;
import dev.vnet.dataplane.trace.PcapngWriter;

import java.io.IOException;
import java.nio.file.Path;

/** A capture file being written frame by frame: pcapng (ports, directions, drop reasons) or classic pcap. */
public interface FrameFileWriter extends AutoCloseable {
    /**
     * Appends a frame captured on {@code port} ({@code direction} as pcapng's epb_flags: 1 in, 2 out, 0 unknown),
     * {@code length} bytes of {@code data} of a frame {@code wire} bytes long; {@code comment} (a drop reason) or null.
     */
    void frame(String port, int direction, long timeMicros, byte[] data, int length, int wire, String comment)
            throws IOException;

    /** Pushes what was written to the file or stream. */
    void flush() throws IOException;

    /** Bytes written so far, headers included. */
    long bytes();

    @Override
    void close() throws IOException;

    /**
     * Writes every frame waiting in {@code capture} (its monotonic times shifted by {@code offsetMicros} to wall-clock
     * microseconds, drops with their reason, and the rule that decided, as the comment); returns how many.
     */
    default int drain(Capture capture, long offsetMicros) throws IOException {
        return capture.drain((port, name, d, data, length, wire, nanos, why, detail) -> frame(name,
                d == Capture.IN ? PcapngWriter.INBOUND : d == Capture.OUT ? PcapngWriter.OUTBOUND : PcapngWriter.UNKNOWN,
                offsetMicros + nanos / 1000, data, length, wire, why == null ? null
                        : "dropped: " + why.label() + (detail == null ? "" : " by " + detail)));
    }

    /** Monotonic capture time (nanoseconds) to wall-clock microseconds: the offset, fixed once per capture. */
    static long wallClockOffsetMicros() {
        return System.currentTimeMillis() * 1000 - System.nanoTime() / 1000;
    }

    /** True when {@code file} names a pcapng file (by its extension). */
    static boolean isPcapng(Path file) {
        return file.getFileName().toString().endsWith(".pcapng");
    }

    /** A writer for {@code file}: pcapng when its name ends in .pcapng, else classic pcap. */
    static FrameFileWriter create(Path file, int snapLength, String application) throws IOException {
        return isPcapng(file) ? PcapngFileWriter.create(file, snapLength, application)
                : new PcapFileWriter(file.toString(), snapLength);
    }
}
