package dev.vnet.control.capture;

import dev.vnet.control.topology.CaptureSpec;
import dev.vnet.dataplane.api.Dataplane;
import dev.vnet.dataplane.trace.BpfFilter;
import dev.vnet.dataplane.trace.Capture;
import dev.vnet.dataplane.trace.CaptureFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A capture from the topology file: started with the network, drained by a thread of its own into a
 * {@link RotatingCaptureFile}, stopped (and its last frames written) when vnet stops. A write failure (a full disk, a
 * removed directory) fails this capture: it is unhooked from the dataplane at once (its ring is no longer filled),
 * logged as an error, and listed by {@code GET /captures} as {@code failed} with the error; forwarding never notices.
 * A slow disk costs capture drops, as any slow reader.
 */
public final class CaptureRecorder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CaptureRecorder.class);
    private static final int RING = 4096;
    private static final int SNAP_LENGTH = 65535;
    private static final int IDLE_SLEEP_MILLIS = 10;

    private final Dataplane dataplane;
    private final CaptureSpec spec;
    private final Capture capture;
    private final RotatingCaptureFile file;
    private final Thread thread;
    private volatile boolean stopping;

    private CaptureRecorder(Dataplane dataplane, CaptureSpec spec, Capture capture, RotatingCaptureFile file) {
        this.dataplane = dataplane;
        this.spec = spec;
        this.capture = capture;
        this.file = file;
        this.thread = new Thread(this::run, "vnet-capture-file-" + capture.id());
        this.thread.setDaemon(true);
    }

    /**
     * Checks what can be checked before anything is created: the filter compiles and the file's directory exists and
     * is writable. Returns the problem, or null.
     */
    public static String check(CaptureSpec spec) {
        try {
            BpfFilter.compile(spec.filter()).free();
        } catch (IllegalArgumentException e) {
            return spec.label() + ": filter: " + e.getMessage();
        }
        Path dir = spec.file().toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return spec.label() + ": file: directory " + dir + " does not exist";
        }
        if (!Files.isWritable(dir)) {
            return spec.label() + ": file: directory " + dir + " is not writable";
        }
        return null;
    }

    /** Opens the file and starts capturing on {@code dataplane}. */
    public static CaptureRecorder start(Dataplane dataplane, CaptureSpec spec) throws IOException {
        int mask = Capture.mask(spec.direction(), !spec.ports().isEmpty(), spec.drops());
        RotatingCaptureFile file = new RotatingCaptureFile(spec.file(), spec.rotateBytes(), spec.keep(), SNAP_LENGTH);
        CaptureFilter filter = BpfFilter.compile(spec.filter());
        Capture c;
        try {
            c = dataplane.startCapture(spec.ports().isEmpty() ? List.of("all") : spec.ports(), mask, filter, RING,
                    SNAP_LENGTH);
        } catch (RuntimeException e) {
            filter.free();
            file.close();
            throw e;
        }
        CaptureRecorder r = new CaptureRecorder(dataplane, spec, c, file);
        r.thread.start();
        log.info("capturing {} to {}{}", spec.ports().isEmpty() ? "drops" : String.join(", ", spec.ports()),
                spec.file(), spec.rotateBytes() > 0 ? " (rotating at " + spec.rotateBytes() + " bytes, keeping "
                        + spec.keep() + " files)" : "");
        return r;
    }

    private void run() {
        long offsetMicros = FrameFileWriter.wallClockOffsetMicros();
        try {
            while (true) {
                boolean last = stopping; // read before draining: what was captured before the stop is written
                int n = file.drain(capture, offsetMicros);
                if (n > 0) {
                    file.flush();
                } else if (last) {
                    return;
                } else {
                    Thread.sleep(IDLE_SLEEP_MILLIS);
                }
            }
        } catch (IOException | RuntimeException e) {
            capture.fail("writing " + spec.file() + " failed: " + e.getMessage());
            try {
                dataplane.stopCapture(capture); // unhooked now: nothing fills a ring nobody drains
            } catch (RuntimeException stopFailed) {
                log.debug("capture stop: {}", stopFailed.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                file.close();
            } catch (IOException e) {
                log.warn("capture to {}: {}", spec.file(), e.getMessage());
            }
        }
    }

    /** Frames written and frames lost because the disk was slower than the traffic (and why it failed, if it did). */
    public String summary() {
        return capture.captured() + " frames captured to " + spec.file() + ", " + capture.ringFull() + " lost, "
                + file.rotations() + " rotations" + (capture.failure() == null ? "" : "; FAILED: " + capture.failure());
    }

    /** Stops capturing, writes what is left and closes the file. */
    @Override
    public void close() {
        try {
            dataplane.stopCapture(capture);
        } catch (RuntimeException e) {
            log.debug("capture stop: {}", e.getMessage());
        }
        stopping = true;
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("{}", summary());
    }
}
