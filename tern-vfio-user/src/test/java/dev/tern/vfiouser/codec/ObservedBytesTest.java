package dev.tern.vfiouser.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.sys.Errno;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Byte-exact checks against messages observed between libvfio-user's sample client and server (vfio-user.md). */
class ObservedBytesTest {
    private final MessageDecoder decoder = new MessageDecoder(CodecLimits.defaults());

    private Decoded decode(final byte[] wire, final int fds) {
        final DecodeResult r = decoder.decode(wire, fds);
        assertThat(r).isInstanceOf(Decoded.class);
        return (Decoded) r;
    }

    @Test
    void errorReplyToRegionRead() {
        final byte[] wire = Hex.bytes("0f f0 09 00 10 00 00 00 21 00 00 00 16 00 00 00");
        assertThat(MessageEncoder.error(0xf00f, Command.REGION_READ.code(), Errno.EINVAL).toBytes()).isEqualTo(wire);
        assertThat(MessageEncoder.reply(0xf00f, ErrorReply.of(Command.REGION_READ, Errno.EINVAL)).toBytes())
                .isEqualTo(wire);
        final Decoded d = decode(wire, 0);
        assertThat(d.header().isReply()).isTrue();
        assertThat(d.header().isError()).isTrue();
        assertThat(d.header().msgId()).isEqualTo(0xf00f);
        assertThat(d.message()).isEqualTo(new ErrorReply(9, 22));
    }

    /** vfio-user-interop.md L1: libvfio-user echoes the refused SET RUNNING_P2P after the error header. */
    @Test
    void errorReplyWithLibvfioUserEchoKeepsTheErrno() {
        final byte[] wire = Hex.bytes("00 01 10 00 20 00 00 00 21 00 00 00 16 00 00 00"
                + " 10 00 00 00 02 00 02 00 05 00 00 00 ff ff ff ff");
        final Decoded d = decode(wire, 0);
        assertThat(d.message()).isEqualTo(new ErrorReply(Command.DEVICE_FEATURE.code(), Errno.EINVAL));
        assertThat(d.header().msgId()).isEqualTo(0x100);
        final byte[] withFd = Hex.concat(Hex.bytes("07 00 10 00 18 00 00 00 21 00 00 00 5f 00 00 00"), new byte[8]);
        assertThat(decode(withFd, 1).message()).isEqualTo(new ErrorReply(Command.DEVICE_FEATURE.code(), 95));
    }

    @Test
    void clientVersionIsByteExact() {
        final byte[] wire = Hex.concat(Hex.bytes("55 da 01 00 52 00 00 00 00 00 00 00 00 00 00 00 | 00 00 02 00"),
                Hex.cstring("{\"capabilities\":{\"max_msg_fds\":32,\"max_data_xfer_size\":1024}}"));
        final Version v = Version.of(0, 2, Capabilities.none().withMaxMsgFds(32).withMaxDataXferSize(1024));
        assertThat(MessageEncoder.command(0xda55, v).toBytes()).isEqualTo(wire);
        final Decoded d = decode(wire, 0);
        assertThat(d.message()).isEqualTo(v);
    }

    @Test
    void serverVersionInJsonCSpacedFormatDecodes() {
        final byte[] wire = Hex.concat(Hex.bytes("55 da 01 00 7d 00 00 00 01 00 00 00 00 00 00 00 | 00 00 02 00"),
                Hex.cstring("{ \"capabilities\": { \"max_msg_fds\": 8, \"max_data_xfer_size\": 1048576, "
                        + "\"migration\": { \"pgsize\": 4096 } } }"));
        assertThat(wire).hasSize(0x7d);
        final Version v = (Version) decode(wire, 0).message();
        assertThat(v.major()).isZero();
        assertThat(v.minor()).isEqualTo(2);
        final Capabilities c = v.capabilities().orElseThrow();
        assertThat(c.effectiveMaxMsgFds()).isEqualTo(8);
        assertThat(c.effectiveMaxDataXferSize()).isEqualTo(1048576);
        assertThat(c.migration()).contains(MigrationCapability.ofPgsize(4096));
        assertThat(c.effectivePgsizes()).isEqualTo(4096);
        assertThat(c.twinSocket()).isEmpty();
        assertThat(c.tern()).isEmpty();
    }

    @Test
    void libvfioUserClientAcceptsOurServerReplyShape() {
        final Version proposal = (Version) decode(Hex.concat(
                Hex.bytes("55 da 01 00 52 00 00 00 00 00 00 00 00 00 00 00 | 00 00 02 00"),
                Hex.cstring("{\"capabilities\":{\"max_msg_fds\":32,\"max_data_xfer_size\":1024}}")), 0).message();
        final NegotiationOutcome o = Negotiation.serverReply(proposal, ServerOffer.defaults());
        final NegotiationOutcome.Negotiated n = (NegotiationOutcome.Negotiated) o;
        final byte[] reply = MessageEncoder.reply(0xda55, n.reply()).toBytes();
        assertThat(Hex.of(reply)).startsWith("55 da 01 00");
        assertThat(new String(reply, 20, reply.length - 21, java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"capabilities\":{\"max_msg_fds\":8,\"max_data_xfer_size\":1048576}}");
        assertThat(reply[reply.length - 1]).isZero();
        assertThat(n.session().clientMaxDataXferSize()).isEqualTo(1024);
        assertThat(n.session().serverMaxMsgFds()).isEqualTo(8);
    }

    @Test
    void setPreCopyFeature() {
        final byte[] payload = Hex.bytes("10 00 00 00 02 00 02 00 06 00 00 00 ff ff ff ff");
        final DeviceFeature f = DeviceFeature.set(Feature.MIG_DEVICE_STATE, new FeaturePayload.MigDeviceState(6, -1));
        assertThat(f.payloadBytes()).isEqualTo(payload);
        final Decoded d = decode(MessageEncoder.command(7, f).toBytes(), 0);
        assertThat(d.message()).isEqualTo(f);
        assertThat(((DeviceFeature) d.message()).isSet()).isTrue();
        assertThat(((DeviceFeature) d.message()).feature()).contains(Feature.MIG_DEVICE_STATE);
    }

    @Test
    void dmaLoggingStart() {
        final byte[] payload = Hex.bytes("18 00 00 00 06 00 02 00 | 00 10 00 00 00 00 00 00 | 00 00 00 00 00 00 00 00");
        final DeviceFeature f = DeviceFeature.set(Feature.DMA_LOGGING_START,
                new FeaturePayload.DmaLoggingControl(4096, List.of()));
        assertThat(f.payloadBytes()).isEqualTo(payload);
        assertThat(decode(MessageEncoder.command(1, f).toBytes(), 0).message()).isEqualTo(f);
    }

    @Test
    void dmaLoggingReportRequestAndReply() {
        final long iova = 0x1_0000_0000L;
        final byte[] request = Hex.bytes("28 00 00 00 08 00 01 00 | 00 00 00 00 01 00 00 00"
                + "| 00 10 00 00 00 00 00 00 | 00 10 00 00 00 00 00 00");
        final DeviceFeature get = DeviceFeature.report(new FeaturePayload.DmaLoggingReport(iova, 4096, 4096), 8);
        assertThat(get.payloadBytes()).isEqualTo(request);
        assertThat(decode(MessageEncoder.command(2, get).toBytes(), 0).message()).isEqualTo(get);

        final DeviceFeature reply = get.getReply(new FeaturePayload.DmaLoggingReportReply(iova, 4096, 4096,
                Blob.wrap(Hex.bytes("01 00 00 00 00 00 00 00"))));
        assertThat(reply.payloadBytes()).hasSize(40);
        assertThat(reply.argsz()).isEqualTo(40);
        final Decoded d = decode(MessageEncoder.reply(2, reply).toBytes(), 0);
        final FeaturePayload.DmaLoggingReportReply r =
                (FeaturePayload.DmaLoggingReportReply) ((DeviceFeature) d.message()).payload();
        assertThat(r.word(0)).isEqualTo(1L);
        assertThat(d.message()).isEqualTo(reply);
    }

    @Test
    void migDataReadRequestAndPaddedReply() {
        final byte[] payload = Hex.bytes("08 04 00 00 00 04 00 00");
        assertThat(MigDataRead.of(0x400).payloadBytes()).isEqualTo(payload);
        assertThat(decode(Hex.concat(Hex.bytes("03 00 11 00 18 00 00 00 00 00 00 00 00 00 00 00"), payload), 0)
                .message()).isEqualTo(new MigDataRead(0x408, 0x400));

        final MigDataReadReply reply = MigDataReadReply.padded(Blob.wrap(new byte[] {1, 2, 3}), 0x400);
        final Frame f = MessageEncoder.reply(3, reply);
        assertThat(f.header().messageSize()).isEqualTo(0x418);
        final MigDataReadReply back = (MigDataReadReply) decode(f.toBytes(), 0).message();
        assertThat(back.argsz()).isEqualTo(11);
        assertThat(back.size()).isEqualTo(3);
        assertThat(back.migrationData()).isEqualTo(Blob.wrap(new byte[] {1, 2, 3}));
    }

    @Test
    void getMigrationReplyHidesP2pWithoutTernExtension() {
        final long device = FeaturePayload.MigrationFlags.STOP_COPY | FeaturePayload.MigrationFlags.P2P
                | FeaturePayload.MigrationFlags.PRE_COPY;
        assertThat(TernExtension.NONE.visibleMigrationFlags(device)).isEqualTo(5);
        assertThat(TernExtension.ALL.visibleMigrationFlags(device)).isEqualTo(7);
        final DeviceFeature reply = DeviceFeature.get(Feature.MIGRATION)
                .getReply(new FeaturePayload.MigrationFlags(5));
        assertThat(reply.payloadBytes()).isEqualTo(Hex.bytes("10 00 00 00 01 00 01 00 05 00 00 00 00 00 00 00"));
        assertThat(Optional.of(reply.payload())).containsInstanceOf(FeaturePayload.MigrationFlags.class);
        assertThat(OptionalLong.of(((FeaturePayload.MigrationFlags) reply.payload()).flags())).hasValue(5);
    }
}
