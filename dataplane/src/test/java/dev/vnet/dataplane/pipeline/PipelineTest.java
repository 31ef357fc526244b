package dev.vnet.dataplane.pipeline;

import dev.vnet.dataplane.DropReason;
import dev.vnet.dataplane.port.MemoryPort;
import dev.vnet.dataplane.testing.FrameBuilder;
import dev.vnet.dataplane.testing.LeakCheck;
import dev.vnet.dataplane.testing.ManualClock;
import dev.vnet.dataplane.wire.Ethernet;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PipelineTest {
    @AfterAll
    static void noLeaks() {
        LeakCheck.assertNoLeaks();
    }

    private static ByteBuf anyFrame() {
        return FrameBuilder.ethernet(2, 4, Ethernet.TYPE_IPV4, new byte[46]);
    }

    @Test
    void aThrowingStageDropsTheFrameAndTheLoopGoesOn() {
        Pipeline p = new Pipeline(new ManualClock(), new Attachments());
        MemoryPort in = new MemoryPort(1, "in", p);
        MemoryPort out = new MemoryPort(2, "out", p);
        p.attachments().setIngress(in, stage(frame -> {
            if (frame.buf().getByte(frame.start() + 14) == 1) {
                throw new IllegalStateException("a bug in a stage");
            }
            return frame.forward(out);
        }));
        ByteBuf bad = anyFrame();
        bad.setByte(14, 1);
        ByteBuf good = anyFrame();
        in.inject(bad);
        in.inject(good);
        assertEquals(0, bad.refCnt(), "the frame the stage threw on is released");
        assertEquals(1, in.counters().drops(DropReason.INTERNAL_ERROR));
        List<ByteBuf> sent = out.drain();
        assertEquals(1, sent.size(), "the next frame is forwarded as usual");
        sent.forEach(ByteBuf::release);
        assertEquals(2, p.received());
        assertEquals(1, p.forwarded());
        assertEquals(1, p.dropped());
    }

    @Test
    void aStageThatForgetsToDecideIsAnInternalError() {
        Pipeline p = new Pipeline(new ManualClock(), new Attachments());
        MemoryPort in = new MemoryPort(1, "in", p);
        Stage undecided = stage(frame -> null);
        p.attachments().setIngress(in, undecided);
        ByteBuf f = anyFrame();
        in.inject(f);
        assertEquals(0, f.refCnt());
        assertEquals(1, in.counters().drops(DropReason.INTERNAL_ERROR));
    }

    @Test
    void unattachedPortDropsWithItsReason() {
        Pipeline p = new Pipeline(new ManualClock(), new Attachments());
        MemoryPort in = new MemoryPort(1, "in", p);
        ByteBuf f = anyFrame();
        in.inject(f);
        assertEquals(0, f.refCnt());
        assertEquals(1, in.counters().drops(DropReason.PORT_UNATTACHED));
    }

    @Test
    void portsAreFlushedOncePerBatchNotPerFrame() {
        Pipeline p = new Pipeline(new ManualClock(), new Attachments());
        MemoryPort in = new MemoryPort(1, "in", p);
        MemoryPort out = new MemoryPort(2, "out", p);
        p.attachments().setIngress(in, stage(frame -> frame.forward(out)));
        p.beginBatch();
        p.receive(in, anyFrame());
        p.receive(in, anyFrame());
        p.receive(in, anyFrame());
        assertEquals(0, out.sentCount(), "nothing is written before the batch ends");
        p.endBatch();
        List<ByteBuf> sent = out.drain();
        assertEquals(3, sent.size());
        assertEquals(3, out.counters().txFrames());
        sent.forEach(ByteBuf::release);
    }

    @Test
    void aClosedPortDropsWhatIsSentToIt() {
        Pipeline p = new Pipeline(new ManualClock(), new Attachments());
        MemoryPort in = new MemoryPort(1, "in", p);
        MemoryPort out = new MemoryPort(2, "out", p);
        out.close();
        p.attachments().setIngress(in, stage(frame -> frame.forward(out)));
        ByteBuf f = anyFrame();
        in.inject(f);
        assertEquals(0, f.refCnt());
        assertEquals(1, out.counters().drops(DropReason.PORT_CLOSED));
    }

    /** A one-line stage for these tests (stages are classes: the pipeline's dispatch is a virtual call). */
    private static Stage stage(Function<Frame, Stage> decide) {
        return new Stage() {
            @Override
            public Stage process(Frame frame) {
                return decide.apply(frame);
            }
        };
    }
}
