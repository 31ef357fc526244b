package dev.vnet.dataplane.wire;

import dev.vnet.dataplane.testing.FrameBuilder;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChecksumTest {
    @Test
    void computesTheTextbookIpv4HeaderChecksum() {
        ByteBuf header = FrameBuilder.hex(WireVectors.IPV4_HEADER_B861);
        try {
            assertEquals(0xb861, Checksum.compute(header, 0, 20));
            header.setShort(10, 0xb861);
            assertTrue(Checksum.verify(header, 0, 20));
            header.setByte(8, 0x3f);
            assertFalse(Checksum.verify(header, 0, 20));
        } finally {
            header.release();
        }
    }

    @Test
    void rfc1071ExampleSumsToDdf2() {
        // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum (with end-around carry) to ddf2.
        ByteBuf b = FrameBuilder.hex("0001f203f4f5f6f7");
        try {
            assertEquals(0xddf2, Checksum.fold(Checksum.add(b, 0, 8, 0)));
            assertEquals(~0xddf2 & 0xFFFF, Checksum.compute(b, 0, 8));
        } finally {
            b.release();
        }
    }

    @Test
    void oddLengthPadsWithZero() {
        ByteBuf odd = FrameBuilder.hex("0102030405");
        ByteBuf even = FrameBuilder.hex("010203040500");
        try {
            assertEquals(Checksum.compute(even, 0, 6), Checksum.compute(odd, 0, 5));
        } finally {
            odd.release();
            even.release();
        }
    }

    @Test
    void incrementalUpdateMatchesRecomputationForRandomEdits() {
        SplittableRandom rng = new SplittableRandom(42);
        ByteBuf b = FrameBuilder.of(new byte[64]);
        try {
            for (int round = 0; round < 3_000; round++) {
                for (int i = 0; i < 64; i++) {
                    b.setByte(i, rng.nextInt(256));
                }
                b.setShort(10, 0);
                int stored = Checksum.compute(b, 0, 64);
                b.setShort(10, stored);
                int at = 12 + 2 * rng.nextInt(24);
                if (rng.nextBoolean()) {
                    int old = b.getUnsignedShort(at);
                    int neu = rng.nextInt(0x10000);
                    b.setShort(at, neu);
                    b.setShort(10, Checksum.update16(b.getUnsignedShort(10), old, neu));
                } else {
                    at = Math.min(at, 58);
                    int old = b.getInt(at);
                    int neu = rng.nextInt();
                    b.setInt(at, neu);
                    b.setShort(10, Checksum.update32(b.getUnsignedShort(10), old, neu));
                }
                assertTrue(Checksum.verify(b, 0, 64), "round " + round);
            }
        } finally {
            b.release();
        }
    }

    @Test
    void wideReadsSumAsSixteenBitWordsAtAnyOffsetAndLength() {
        SplittableRandom random = new SplittableRandom(42);
        byte[] bytes = new byte[65_600];
        random.nextBytes(bytes);
        // A heap buffer sums through ByteBuf's reads; a direct one (with a memory address) in place, natively.
        ByteBuf heap = io.netty.buffer.Unpooled.wrappedBuffer(bytes);
        ByteBuf direct = io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length);
        direct.writeBytes(bytes);
        try {
            for (int n = 0; n < 2000; n++) {
                int index = random.nextInt(64);
                int length = n < 1000 ? random.nextInt(64) : random.nextInt(bytes.length - index);
                int initial = random.nextInt();
                long reference = initial & 0xFFFF_FFFFL;
                for (int i = index; i < index + length; i += 2) {
                    int hi = bytes[i] & 0xFF;
                    int lo = i + 1 < index + length ? bytes[i + 1] & 0xFF : 0;
                    reference += hi << 8 | lo;
                }
                while ((reference >>> 16) != 0) {
                    reference = (reference & 0xFFFF) + (reference >>> 16);
                }
                assertEquals((int) reference, Checksum.fold(Checksum.add(heap, index, length, initial)),
                        "heap, offset " + index + ", length " + length);
                assertEquals((int) reference, Checksum.fold(Checksum.add(direct, index, length, initial)),
                        "direct, offset " + index + ", length " + length);
            }
        } finally {
            direct.release();
        }
    }

    @Test
    void aRegionOutsideTheBufferIsRefusedNotRead() {
        ByteBuf direct = io.netty.buffer.PooledByteBufAllocator.DEFAULT.directBuffer(64, 64);
        try {
            assertThrows(IndexOutOfBoundsException.class, () -> Checksum.add(direct, 60, 8, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> Checksum.add(direct, -2, 8, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> Checksum.add(direct, 8, Integer.MAX_VALUE, 0));
        } finally {
            direct.release();
        }
    }

    @Test
    void pseudoHeaderOfKnownUdpVector() {
        ByteBuf f = FrameBuilder.hex(WireVectors.UDP);
        try {
            int ip = Ethernet.HEADER_LEN;
            int l4 = ip + 20;
            int sum = Checksum.add(f, l4, 13, Checksum.pseudoHeader(Ipv4.src(f, ip), Ipv4.dst(f, ip), 17, 13));
            assertEquals(0xFFFF, Checksum.fold(sum), "a correct UDP checksum sums to all ones");
        } finally {
            f.release();
        }
    }
}
