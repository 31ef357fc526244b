package dev.vnet.dataplane.fuzz;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;

import java.io.ByteArrayOutputStream;

/**
 * The fuzz input format for scripts of frames, plain enough to write seeds by hand and for the fuzzer's mutations
 * to stay meaningful. A script is a sequence of operations, at most {@link #MAX_OPS}:
 * <pre>
 *   op byte 0xxx xopp   a frame on port pp (o = 1: an 8-byte offload state follows the length),
 *                       then a 2-byte length (big-endian, at most 2047 used) and that many frame bytes
 *   op byte 1sss ssss   the clock jumps s seconds (0-127) and the timers run (aging, ARP retries)
 * </pre>
 * A script that ends early ends there (a truncated frame takes what is left).
 */
final class FuzzScript {
    static final int MAX_OPS = 64;

    private FuzzScript() {
    }

    /** What a script drives. */
    interface Target {
        /** A frame (owned by the callee) arriving on port {@code port} with offload state {@code offload}. */
        void frame(int port, ByteBuf frame, long offload);

        /** The clock moves {@code seconds} forward. */
        void advance(long seconds);
    }

    /** Runs {@code input} against {@code target}, taking frame buffers from {@code alloc}. */
    static void run(byte[] input, ByteBufAllocator alloc, Target target) {
        int at = 0;
        for (int ops = 0; ops < MAX_OPS && at < input.length; ops++) {
            int op = input[at++] & 0xFF;
            if ((op & 0x80) != 0) {
                target.advance(op & 0x7F);
                continue;
            }
            if (at + 2 > input.length) {
                return;
            }
            int length = ((input[at] & 0x07) << 8) | (input[at + 1] & 0xFF);
            at += 2;
            long offload = 0;
            if ((op & 0x04) != 0) {
                if (at + 8 > input.length) {
                    return;
                }
                for (int i = 0; i < 8; i++) {
                    offload = offload << 8 | (input[at++] & 0xFF);
                }
            }
            length = Math.min(length, input.length - at);
            ByteBuf frame = alloc.directBuffer(Math.max(length, 1));
            frame.writeBytes(input, at, length);
            at += length;
            target.frame(op & 0x03, frame, offload);
        }
    }

    /** Encodes a frame operation (for seeds). */
    static void frame(ByteArrayOutputStream out, int port, byte[] frame) {
        out.write(port & 0x03);
        out.write(frame.length >>> 8 & 0x07);
        out.write(frame.length & 0xFF);
        out.write(frame, 0, frame.length);
    }

    /** Encodes a frame operation with offload state (for seeds). */
    static void frame(ByteArrayOutputStream out, int port, byte[] frame, long offload) {
        out.write(port & 0x03 | 0x04);
        out.write(frame.length >>> 8 & 0x07);
        out.write(frame.length & 0xFF);
        for (int i = 7; i >= 0; i--) {
            out.write((int) (offload >>> (8 * i)));
        }
        out.write(frame, 0, frame.length);
    }

    /** Encodes a clock jump (for seeds). */
    static void advance(ByteArrayOutputStream out, int seconds) {
        out.write(0x80 | (seconds & 0x7F));
    }

    /**
     * While fuzzing, turns Netty's paranoid leak detector off: it records a stack trace per allocation, which would
     * cost most of the executions, and the fuzz tests count live memory exactly themselves.
     */
    static void quietLeakDetectorWhileFuzzing() {
        String fuzz = System.getenv("JAZZER_FUZZ");
        if (fuzz != null && !fuzz.isEmpty()) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }
}
