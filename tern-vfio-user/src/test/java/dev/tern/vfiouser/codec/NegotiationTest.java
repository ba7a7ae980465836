package dev.tern.vfiouser.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tern.sys.Errno;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class NegotiationTest {
    private static NegotiationOutcome.Negotiated ok(final NegotiationOutcome o) {
        assertThat(o).isInstanceOf(NegotiationOutcome.Negotiated.class);
        return (NegotiationOutcome.Negotiated) o;
    }

    private static NegotiationOutcome.Rejected rejected(final NegotiationOutcome o) {
        assertThat(o).isInstanceOf(NegotiationOutcome.Rejected.class);
        final NegotiationOutcome.Rejected r = (NegotiationOutcome.Rejected) o;
        assertThat(r.errno()).isEqualTo(Errno.EINVAL);
        return r;
    }

    @Test
    void majorMustMatchAndMinorIsTheMinimum() {
        assertThat(rejected(Negotiation.serverReply(new Version(1, 0, Optional.empty()), ServerOffer.defaults()))
                .reason()).contains("major");
        assertThat(ok(Negotiation.serverReply(new Version(0, 7, Optional.empty()), ServerOffer.defaults()))
                .reply().minor()).isEqualTo(2);
        assertThat(ok(Negotiation.serverReply(new Version(0, 1, Optional.empty()), ServerOffer.defaults()))
                .reply().minor()).isEqualTo(1);
    }

    @Test
    void noJsonMeansNoJsonBackAndDefaults() {
        final NegotiationOutcome.Negotiated n = ok(Negotiation.serverReply(new Version(0, 2, Optional.empty()),
                ServerOffer.defaults()));
        assertThat(n.reply().capabilities()).isEmpty();
        assertThat(n.session().clientMaxMsgFds()).isEqualTo(1);
        assertThat(n.session().serverMaxMsgFds()).isEqualTo(1);
        assertThat(n.session().serverMaxDataXferSize()).isEqualTo(1 << 20);
        assertThat(n.session().pgsizes()).isEqualTo(4096);
        assertThat(n.session().maxDmaMaps()).isEqualTo(65535);
        assertThat(n.session().tern()).isEqualTo(TernExtension.NONE);
    }

    @Test
    void replyNamesOnlyProposedCapabilities() {
        final Capabilities proposed = Capabilities.none().withMaxMsgFds(32).withPgsizes(0x1000 | 0x20_0000)
                .withMaxDmaMaps(1_000_000).withWriteMultiple(true);
        final NegotiationOutcome.Negotiated n = ok(Negotiation.serverReply(Version.of(0, 2, proposed),
                ServerOffer.defaults()));
        final Capabilities r = n.reply().capabilities().orElseThrow();
        assertThat(r.maxMsgFds()).hasValue(8);
        assertThat(r.maxDataXferSize()).isEmpty();
        assertThat(r.pgsizes()).hasValue(0x1000);
        assertThat(r.maxDmaMaps()).hasValue(65535);
        assertThat(r.writeMultiple()).contains(false);
        assertThat(r.migration()).isEmpty();
        assertThat(r.twinSocket()).isEmpty();
        assertThat(r.tern()).isEmpty();
        assertThat(n.session().serverInboundLimits()).isEqualTo(CodecLimits.forDataXfer(1 << 20, 8));
        assertThat(n.session().clientInboundLimits().maxFds()).isEqualTo(32);
    }

    @Test
    void libvfioUserChecksAreKept() {
        rejected(Negotiation.serverReply(Version.of(0, 2, Capabilities.none().withMaxMsgFds(1025)),
                ServerOffer.defaults()));
        rejected(Negotiation.serverReply(Version.of(0, 2, Capabilities.none().withMigration(
                MigrationCapability.ofPgsize(65536))), ServerOffer.defaults()));
        rejected(Negotiation.serverReply(Version.of(0, 2, Capabilities.none().withPgsizes(0x20_0000)),
                ServerOffer.defaults()));
        final NegotiationOutcome.Negotiated n = ok(Negotiation.serverReply(Version.of(0, 2,
                Capabilities.none().withMigration(MigrationCapability.ofPgsize(4096))), ServerOffer.defaults()));
        assertThat(n.reply().capabilities().orElseThrow().migration()).contains(MigrationCapability.ofPgsize(4096));
        assertThat(n.session().migrationPgsize()).hasValue(4096);
    }

    @Test
    void twinSocketIsEnabledOnlyWhenBothWantIt() {
        final Version proposal = Version.of(0, 2, Capabilities.none().withTwinSocket(TwinSocket.proposal()));
        final NegotiationOutcome.Negotiated off = ok(Negotiation.serverReply(proposal, ServerOffer.defaults()));
        assertThat(off.reply().capabilities().orElseThrow().twinSocket())
                .contains(new TwinSocket(false, OptionalInt.empty()));
        assertThat(off.reply().fdCount()).isZero();
        assertThat(off.session().twinSocket()).isFalse();

        final ServerOffer twin = new ServerOffer(8, 1 << 20, 4096, 65535, true, false, Optional.empty(),
                TernExtension.ALL);
        final NegotiationOutcome.Negotiated on = ok(Negotiation.serverReply(proposal, twin));
        assertThat(on.reply().fdCount()).isEqualTo(1);
        assertThat(on.session().twinSocket()).isTrue();
        assertThat(ok(Negotiation.clientAccept(proposal, on.reply(), 1)).session().twinSocket()).isTrue();
        assertThat(rejected(Negotiation.clientAccept(proposal, on.reply(), 0)).reason()).contains("fd_index");
        rejected(Negotiation.clientAccept(Version.of(0, 2, Capabilities.none()), on.reply(), 1));
    }

    @Test
    void ternExtensionIsTheIntersectionAndInvisibleUnlessProposed() {
        final Version plain = Version.of(0, 2, Capabilities.none().withMaxMsgFds(8));
        final NegotiationOutcome.Negotiated p = ok(Negotiation.serverReply(plain, ServerOffer.defaults()));
        assertThat(p.reply().capabilities().orElseThrow().tern()).isEmpty();
        assertThat(p.session().tern()).isEqualTo(TernExtension.NONE);
        assertThat(p.session().tern().allowsFeature(Feature.TERN_PRECOPY_INFO.index())).isFalse();
        assertThat(p.session().tern().allowsDeviceState(5)).isFalse();
        assertThat(p.session().tern().allowsDeviceState(7)).isFalse();
        assertThat(p.session().tern().allowsDeviceState(6)).isTrue();
        assertThat(p.session().tern().allowsFeature(Feature.MIGRATION.index())).isTrue();
        assertThat(new String(MessageEncoder.reply(1, p.reply()).toBytes(), StandardCharsets.ISO_8859_1))
                .doesNotContain("tern");

        final Version wantsP2p = Version.of(0, 2, Capabilities.none().withTern(new TernExtension(true, false)));
        final NegotiationOutcome.Negotiated t = ok(Negotiation.serverReply(wantsP2p, ServerOffer.defaults()));
        assertThat(t.reply().capabilities().orElseThrow().tern()).contains(new TernExtension(true, false));
        assertThat(t.session().tern().allowsDeviceState(5)).isTrue();
        assertThat(t.session().tern().allowsFeature(0xFF01)).isFalse();

        final ServerOffer noP2p = new ServerOffer(8, 1 << 20, 4096, 65535, false, false, Optional.empty(),
                new TernExtension(false, true));
        final NegotiationOutcome.Negotiated both = ok(Negotiation.serverReply(
                Version.of(0, 2, Capabilities.none().withTern(TernExtension.ALL)), noP2p));
        assertThat(both.session().tern()).isEqualTo(new TernExtension(false, true));
        assertThat(ok(Negotiation.clientAccept(Version.of(0, 2, Capabilities.none().withTern(TernExtension.ALL)),
                both.reply(), 0)).session().tern()).isEqualTo(new TernExtension(false, true));
    }

    @Test
    void precopyInfoV2IsNegotiatedOnlyWhenBothSidesProposeIt() {
        final TernExtension before = new TernExtension(true, true);
        assertThat(TernExtension.ALL.intersect(before)).isEqualTo(before);
        assertThat(before.intersect(TernExtension.ALL).precopyInfoV2()).isFalse();
        assertThat(TernExtension.ALL.intersect(TernExtension.ALL).precopyInfoV2()).isTrue();
        assertThat(new TernExtension(true, false, true).intersect(TernExtension.ALL).precopyInfoV2())
                .as("v2 without PRECOPY_INFO means nothing").isFalse();
        // A proposal without v2 is byte for byte what Tern sent before v2 existed; the server's reply echoes no v2.
        final Version old = Version.of(0, 2, Capabilities.none().withTern(before));
        assertThat(new String(MessageEncoder.command(1, old).toBytes(), StandardCharsets.ISO_8859_1))
                .contains("\"tern\":{\"p2p\":true,\"precopy_info\":true}");
        final NegotiationOutcome.Negotiated o = ok(Negotiation.serverReply(old, ServerOffer.defaults()));
        assertThat(o.session().tern().precopyInfoV2()).isFalse();
        assertThat(new String(MessageEncoder.reply(1, o.reply()).toBytes(), StandardCharsets.ISO_8859_1))
                .doesNotContain("precopy_info_v2");
        final NegotiationOutcome.Negotiated v2 = ok(Negotiation.serverReply(
                Version.of(0, 2, Capabilities.none().withTern(TernExtension.ALL)), ServerOffer.defaults()));
        assertThat(v2.session().tern().precopyInfoV2()).isTrue();
        assertThat(new String(MessageEncoder.reply(1, v2.reply()).toBytes(), StandardCharsets.ISO_8859_1))
                .contains("\"precopy_info_v2\":true");
    }

    @Test
    void clientToleratesLibvfioUsersUnproposedMigrationObject() {
        final Version proposal = Version.of(0, 2, Capabilities.none().withMaxMsgFds(32).withMaxDataXferSize(1024));
        final Version reply = Version.of(0, 2, Capabilities.none().withMaxMsgFds(8).withMaxDataXferSize(1 << 20)
                .withMigration(MigrationCapability.ofPgsize(4096)));
        final Session s = ok(Negotiation.clientAccept(proposal, reply, 0)).session();
        assertThat(s.serverMaxMsgFds()).isEqualTo(8);
        assertThat(s.clientMaxDataXferSize()).isEqualTo(1024);
        assertThat(s.migrationPgsize()).hasValue(4096);
        rejected(Negotiation.clientAccept(proposal, new Version(0, 3, Optional.empty()), 0));
        rejected(Negotiation.clientAccept(proposal, new Version(1, 2, Optional.empty()), 0));
    }
}
