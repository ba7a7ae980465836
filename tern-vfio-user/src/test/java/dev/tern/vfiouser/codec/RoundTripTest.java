package dev.tern.vfiouser.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.sys.Errno;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every message kind: encode, frame, decode, and compare. */
class RoundTripTest {
    private static final Blob DATA = Blob.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9});

    static List<Request> requests() {
        return List.of(
                Version.of(0, 2, Capabilities.none().withMaxMsgFds(16).withMaxDataXferSize(1 << 20)
                        .withPgsizes(0x1000).withMaxDmaMaps(100).withTwinSocket(TwinSocket.proposal())
                        .withWriteMultiple(true).withMigration(new MigrationCapability(OptionalLong.of(4096),
                                OptionalLong.of(1 << 20)))
                        .withTern(TernExtension.ALL)),
                new Version(0, 1, Optional.empty()),
                DmaMap.of(DmaMap.FLAG_READ | DmaMap.FLAG_WRITE, 0x1000, 0x8000_0000L, 0x10_0000, true),
                DmaMap.of(DmaMap.FLAG_READ, 0, 0x4000, 0x1000, false),
                DmaUnmap.of(0x8000_0000L, 0x10_0000),
                new DmaUnmap(48, DmaUnmap.FLAG_GET_DIRTY_BITMAP, 0x1000, 0x8000,
                        Optional.of(new DmaUnmap.BitmapRequest(4096, 8))),
                new DmaUnmap(24, DmaUnmap.FLAG_ALL, 0, 0, Optional.empty()),
                DeviceInfo.request(),
                new GetRegionInfo(4096, 2),
                new GetRegionIoFds(1024, 0, 0, 0),
                IrqInfo.request(4),
                SetIrqs.eventfds(SetIrqs.ACTION_TRIGGER, 2, 0, 4, 3),
                new SetIrqs(23, SetIrqs.DATA_BOOL | SetIrqs.ACTION_MASK, 1, 0, 3, Blob.wrap(new byte[] {1, 0, 1}),
                        0),
                new SetIrqs(20, SetIrqs.DATA_NONE | SetIrqs.ACTION_UNMASK, 0, 0, 0, Blob.empty(), 0),
                new RegionRead(0x40, 7, 4),
                new RegionWrite(0x40, 7, DATA),
                new DmaRead(0x8000_1000L, 512),
                new DmaWrite(0x8000_1000L, DATA),
                new DeviceReset(),
                new RegionWriteMulti(List.of(new RegionWriteMulti.Write(0x10, 0, Blob.wrap(new byte[] {1, 2, 3, 4})),
                        new RegionWriteMulti.Write(0x18, 2, Blob.wrap(new byte[] {9, 8, 7, 6, 5, 4, 3, 2})))),
                DeviceFeature.get(Feature.MIGRATION),
                DeviceFeature.get(Feature.MIG_DEVICE_STATE),
                DeviceFeature.get(Feature.MIG_DATA_SIZE),
                DeviceFeature.get(Feature.TERN_PRECOPY_INFO),
                DeviceFeature.set(Feature.MIG_DEVICE_STATE, new FeaturePayload.MigDeviceState(3, -1)),
                DeviceFeature.set(Feature.DMA_LOGGING_START, new FeaturePayload.DmaLoggingControl(4096,
                        List.of(new FeaturePayload.IovaRange(0, 1 << 30),
                                new FeaturePayload.IovaRange(1L << 32, 1 << 20)))),
                DeviceFeature.set(Feature.DMA_LOGGING_STOP, new FeaturePayload.Empty()),
                DeviceFeature.report(new FeaturePayload.DmaLoggingReport(0, 1 << 20, 4096), 32),
                DeviceFeature.probe(Feature.DMA_LOGGING_START.index(), DeviceFeature.SET),
                new DeviceFeature(16, DeviceFeature.SET | 0x1234, new FeaturePayload.Raw(
                        Blob.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))),
                MigDataRead.of(4096),
                MigDataWrite.of(DATA));
    }

    static List<Reply> replies() {
        return List.of(
                Version.of(0, 2, Capabilities.none().withMaxMsgFds(8).withTwinSocket(TwinSocket.enabled(0))
                        .withTern(new TernExtension(true, false))),
                new Ack(Command.DMA_MAP),
                new Ack(Command.DEVICE_SET_IRQS),
                new Ack(Command.DEVICE_RESET),
                new Ack(Command.MIG_DATA_WRITE),
                ErrorReply.of(Command.DEVICE_FEATURE, Errno.ENOTSUP),
                DmaUnmapReply.echo(DmaUnmap.of(0x1000, 0x2000)),
                new DmaUnmapReply(56, DmaUnmap.FLAG_GET_DIRTY_BITMAP, 0x1000, 0x8000,
                        Optional.of(new DmaUnmapReply.DirtyBitmap(4096, Blob.wrap(new byte[] {(byte) 0x81, 0, 0, 0,
                                0, 0, 0, 0})))),
                new DeviceInfo(16, DeviceInfo.FLAG_PCI | DeviceInfo.FLAG_RESET, 9, 5),
                new RegionInfoReply(32, RegionInfoReply.FLAG_READ | RegionInfoReply.FLAG_WRITE, 7, 256, 0, List.of(),
                        0),
                new RegionInfoReply(80, 0xf, 2, 0x4000, 2L << 40, List.of(new RegionCapability.SparseMmap(
                        List.of(new RegionCapability.Area(0x1000, 0x1000), new RegionCapability.Area(0x3000, 0x1000))),
                        new RegionCapability.Type(3, 1)), 2),
                new RegionInfoReply(48, 0xb, 9, 0x1000, 0, List.of(new RegionCapability.Unknown(7, 2,
                        Blob.wrap(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))), 0),
                new RegionIoFdsReply(112, 0, 2, 2, List.of(
                        new IoFdSubRegion(0x10, 4, 0, IoFdSubRegion.TYPE_IOEVENTFD, 1, 0, 0, 0xdead),
                        new IoFdSubRegion(0x20, 4, 1, IoFdSubRegion.TYPE_IOEVENTFD_SHADOW, 0, 2, 0x100, 0)),
                        IoFdSubRegion.Layout.LIBVFIO_USER, 3),
                new RegionIoFdsReply(56, 0, 2, 1, List.of(
                        new IoFdSubRegion(0x10, 4, 0, IoFdSubRegion.TYPE_IOREGIONFD, 0, 0, 0, 42)),
                        IoFdSubRegion.Layout.SPEC, 1),
                new RegionIoFdsReply(112, 0, 2, 2, List.of(), IoFdSubRegion.Layout.LIBVFIO_USER, 0),
                new IrqInfo(16, IrqInfo.FLAG_EVENTFD | IrqInfo.FLAG_NORESIZE, 2, 2048),
                new RegionReadReply(0x40, 7, DATA),
                new RegionWriteReply(0x40, 7, 9),
                new DmaReadReply(0x8000_1000L, DATA),
                DmaWriteReply.of(new DmaWrite(0x8000_1000L, DATA)),
                new DmaWriteReply(0x42, 9, DmaWriteReply.SPEC_SIZE),
                new DmaWriteReply(0, 0, 0),
                new RegionWriteMultiReply(2),
                DeviceFeature.get(Feature.MIGRATION).getReply(new FeaturePayload.MigrationFlags(5)),
                DeviceFeature.get(Feature.MIG_DEVICE_STATE).getReply(new FeaturePayload.MigDeviceState(2, 0)),
                DeviceFeature.get(Feature.MIG_DATA_SIZE).getReply(new FeaturePayload.MigDataSize(1 << 20)),
                DeviceFeature.get(Feature.TERN_PRECOPY_INFO).getReply(new FeaturePayload.PrecopyInfo(100, 7)),
                DeviceFeature.get(Feature.TERN_PRECOPY_INFO, FeaturePayload.PrecopyInfo.V2_SIZE)
                        .getReply(new FeaturePayload.PrecopyInfo(1 << 20, 0, FeaturePayload.PrecopyInfo.REINIT)),
                DeviceFeature.get(Feature.TERN_PRECOPY_INFO, FeaturePayload.PrecopyInfo.V2_SIZE)
                        .getReply(new FeaturePayload.PrecopyInfo(5, 3, 0)),
                DeviceFeature.set(Feature.MIG_DEVICE_STATE, new FeaturePayload.MigDeviceState(6, -1)),
                DeviceFeature.probe(Feature.MIGRATION.index(), DeviceFeature.GET),
                MigDataReadReply.of(DATA),
                MigDataReadReply.padded(DATA, 64),
                MigDataReadReply.of(Blob.empty()));
    }

    static Stream<Arguments> requestCases() {
        return requests().stream().map(r -> Arguments.of(r.command(), r));
    }

    static Stream<Arguments> replyCases() {
        return replies().stream().map(r -> Arguments.of(r.command(), r));
    }

    private static Decoded decodeViaFramer(final Frame f) {
        final FrameDecoder framer = new FrameDecoder(CodecLimits.defaults().maxMessageSize());
        final List<Framed> frames = framer.feed(f.toBytes(), f.fdCount());
        assertThat(frames).hasSize(1);
        assertThat(frames.getFirst()).isEqualTo(f);
        final DecodeResult r = new MessageDecoder(CodecLimits.defaults()).decode((Frame) frames.getFirst());
        assertThat(r).isInstanceOf(Decoded.class);
        return (Decoded) r;
    }

    @ParameterizedTest(name = "{0} request {index}")
    @MethodSource("requestCases")
    void requestRoundTrips(final Command command, final Request request) {
        final Frame f = MessageEncoder.command(0x1234, request);
        assertThat(f.header().isCommand()).isTrue();
        assertThat(f.header().command()).isEqualTo(command.code());
        final Decoded d = decodeViaFramer(f);
        assertThat(d.header()).isEqualTo(f.header());
        assertThat(d.message()).isEqualTo(request);
        assertThat(MessageEncoder.command(0x1234, (Request) d.message()).toBytes()).isEqualTo(f.toBytes());
    }

    @ParameterizedTest(name = "{0} reply {index}")
    @MethodSource("replyCases")
    void replyRoundTrips(final Command command, final Reply reply) {
        final Frame f = MessageEncoder.reply(0xbeef, reply);
        assertThat(f.header().isReply()).isTrue();
        final Decoded d = decodeViaFramer(f);
        assertThat(d.header()).isEqualTo(f.header());
        assertThat(d.message()).isEqualTo(reply);
        assertThat(MessageEncoder.reply(0xbeef, (Reply) d.message()).toBytes()).isEqualTo(f.toBytes());
    }

    @Test
    void everyCommandHasARequestAndAReplyCase() {
        final Set<Command> req = EnumSet.noneOf(Command.class);
        requests().forEach(r -> req.add(r.command()));
        final Set<Command> rep = EnumSet.noneOf(Command.class);
        replies().forEach(r -> rep.add(r.command()));
        assertThat(req).containsExactlyInAnyOrder(Command.values());
        assertThat(rep).containsExactlyInAnyOrder(Command.values());
    }

    @Test
    void noReplyFlagIsCarried() {
        final Frame f = MessageEncoder.command(1, new RegionWrite(0, 0, DATA), true);
        assertThat(f.header().noReply()).isTrue();
        assertThat(f.header().flags()).isEqualTo(Header.FLAG_NO_REPLY);
        assertThat(((Decoded) new MessageDecoder(CodecLimits.defaults()).decode(f)).header().noReply()).isTrue();
    }

    @Test
    void dmaWriteReplyOfSpecAndQemuShapesDecode() {
        final MessageDecoder dec = new MessageDecoder(CodecLimits.defaults());
        final byte[] spec = Hex.bytes("01 00 0c 00 1c 00 00 00 01 00 00 00 00 00 00 00 | 00 10 00 00 00 00 00 00 "
                + "| 08 00 00 00");
        assertThat(((Decoded) dec.decode(spec, 0)).message()).isEqualTo(new DmaWriteReply(0x1000, 8, 12));
        final byte[] qemu = Hex.bytes("01 00 0c 00 10 00 00 00 01 00 00 00 00 00 00 00");
        assertThat(((Decoded) dec.decode(qemu, 0)).message()).isEqualTo(new DmaWriteReply(0, 0, 0));
        assertThat(DmaWriteReply.of(new DmaWrite(0x1000, DATA)).payloadSize()).isEqualTo(16);
    }

    @Test
    void regionIoFdsStrideFollowsThePayload() {
        final RegionIoFdsReply r = (RegionIoFdsReply) replies().stream()
                .filter(x -> x instanceof RegionIoFdsReply y && y.layout() == IoFdSubRegion.Layout.SPEC)
                .findFirst().orElseThrow();
        assertThat(r.payloadSize()).isEqualTo(16 + 40);
        assertThat(new TwinSocket(true, OptionalInt.of(0))).isEqualTo(TwinSocket.enabled(0));
    }
}
