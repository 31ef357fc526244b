package dev.vnet.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Prebuilt frames held with many references: topped up, counted and freed exactly. */
class BenchFramesTest {
    /** References the egress ports released from frames held at {@link BenchFrames#HELD}. */
    static long referencesReleased(ByteBuf[] frames) {
        long n = 0;
        for (ByteBuf f : frames) {
            n += BenchFrames.HELD - f.refCnt();
        }
        return n;
    }

    @Test
    void holdingTopsUpAndReleasingAllFrees() {
        ByteBuf[] frames = {PooledByteBufAllocator.DEFAULT.directBuffer(64),
            PooledByteBufAllocator.DEFAULT.directBuffer(64)};
        BenchFrames.hold(frames);
        assertEquals(0, referencesReleased(frames));
        frames[0].release(3);
        frames[1].release();
        assertEquals(4, referencesReleased(frames));
        BenchFrames.hold(frames);
        assertEquals(0, referencesReleased(frames), "back at the held count");
        BenchFrames.releaseAll(frames);
        assertEquals(0, frames[0].refCnt());
        assertEquals(0, frames[1].refCnt());
    }
}
