package dev.vnet.dataplane.trace;

/** Decides which frames a capture or a trace takes; runs on the dataplane's loop. */
@FunctionalInterface
public interface CaptureFilter {
    /** Takes every frame. */
    CaptureFilter ALL = (frame, length, originalLength) -> true;

    /** True when the frame in {@code frame[0..length)} ({@code originalLength} on the wire) is wanted. */
    boolean matches(byte[] frame, int length, int originalLength);

    /** Frees what the filter holds (a compiled program); called once, on the loop, when the capture ends. */
    default void free() {
    }
}
