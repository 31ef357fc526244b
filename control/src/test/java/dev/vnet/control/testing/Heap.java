package dev.vnet.control.testing;

/** The test JVM's heap, for checks that a load leaves it where it was. */
public final class Heap {
    private Heap() {
    }

    /** Bytes of heap in use after asking for garbage collection a few times. */
    public static long usedAfterGc() {
        Runtime r = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return r.totalMemory() - r.freeMemory();
    }
}
