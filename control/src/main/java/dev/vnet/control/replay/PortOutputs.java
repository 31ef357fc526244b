package dev.vnet.control.replay;

import dev.vnet.control.capture.PcapFileWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** What left each port during a replay, as one classic pcap file per port (PORT.pcap, ':' made '_'), or nothing. */
final class PortOutputs implements AutoCloseable {
    private static final int SNAP_LENGTH = 65535;

    private final Path dir;
    private final Map<String, PcapFileWriter> files = new LinkedHashMap<>();

    /** Writes under {@code dir}, or nowhere when it is null. */
    PortOutputs(Path dir) {
        this.dir = dir;
    }

    /** Appends {@code frame}, stamped {@code timeMicros}, to {@code port}'s file. */
    void write(String port, ByteBuf frame, long timeMicros) throws IOException {
        if (dir == null) {
            return;
        }
        PcapFileWriter w = files.get(port);
        if (w == null) {
            Files.createDirectories(dir);
            w = new PcapFileWriter(dir.resolve(fileName(port)).toString(), SNAP_LENGTH);
            files.put(port, w);
        }
        byte[] data = ByteBufUtil.getBytes(frame);
        w.frame(port, 0, timeMicros, data, data.length, data.length, null);
    }

    /** The file a port's frames go to. */
    static String fileName(String port) {
        return port.replace(':', '_').replace('/', '_') + ".pcap";
    }

    @Override
    public void close() {
        files.values().forEach(PcapFileWriter::close);
        files.clear();
    }
}
