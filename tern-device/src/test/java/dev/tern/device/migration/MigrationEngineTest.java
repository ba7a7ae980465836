package dev.tern.device.migration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.device.DeviceGate.Activity;
import dev.tern.protocol.Arc;
import dev.tern.protocol.DataSession;
import dev.tern.protocol.MigrationFlags;
import dev.tern.protocol.MigrationFsm;
import dev.tern.protocol.MigrationState;
import dev.tern.protocol.Transition;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class MigrationEngineTest {

    private final AtomicLong clock = new AtomicLong(1_000);

    private MigrationEngine engine(final TestDevice d, final List<StateEvent> events) {
        final MigrationEngine e = MigrationEngine.of(d, () -> clock.addAndGet(10));
        e.setListener(events::add);
        return e;
    }

    /** Takes a fresh engine from RUNNING to {@code state}, loading a valid stream if RESUMING. */
    private static void driveTo(final MigrationEngine e, final MigrationState state) throws DeviceException {
        final StateChange c = e.setState(state);
        if (state == MigrationState.RESUMING) {
            c.stream().orElseThrow().write(validStream());
        }
    }

    private static ByteBuffer validStream() {
        final ByteBuffer h = new StreamHeader(3, 0, "test").encode();
        final ByteBuffer b = ByteBuffer.allocate(h.remaining() + TestDevice.SIZE);
        b.put(h);
        for (int i = 0; i < TestDevice.SIZE; i++) {
            b.put((byte) (i * 7));
        }
        return b.flip();
    }

    @Test
    void everyRequestForEveryFlagSetFollowsTheFsmCallingOneHookPerArc() throws Exception {
        int checked = 0;
        for (final MigrationFlags flags : MigrationFlags.all()) {
            for (final MigrationState from : flags.states()) {
                for (final MigrationState to : MigrationState.values()) {
                    final TestDevice d = new TestDevice(flags);
                    final List<StateEvent> events = new ArrayList<>();
                    final MigrationEngine e = engine(d, events);
                    driveTo(e, from);
                    d.calls.clear();
                    events.clear();
                    final Transition t = MigrationFsm.path(from, to, flags);
                    if (t instanceof Transition.Path p) {
                        final StateChange c = e.setState(to);
                        assertThat(c.reached()).isEqualTo(to);
                        assertThat(e.state()).isEqualTo(to);
                        assertThat(events.stream().map(ev -> ev.arc().orElseThrow()).toList()).isEqualTo(p.arcs());
                        final Map<Arc, Integer> expected = new EnumMap<>(Arc.class);
                        p.arcs().forEach(a -> expected.merge(a, 1, Integer::sum));
                        assertThat(d.calls).as("%s -> %s with %s", from, to, flags).isEqualTo(expected);
                        final DataSession last = p.arcs().isEmpty() ? DataSession.NONE : p.arcs().getLast().session();
                        assertThat(c.stream().isPresent()).isEqualTo(
                                last == DataSession.OPENS_SAVING || last == DataSession.OPENS_RESUMING);
                        assertThat(d.gate.activity()).isEqualTo(Activity.of(to));
                    } else {
                        assertThatThrownBy(() -> e.setState(to)).isInstanceOfSatisfying(MigrationException.class,
                                x -> {
                                    assertThat(x.errno()).isEqualTo(Errno.EINVAL);
                                    assertThat(x.state()).isEqualTo(from);
                                });
                        assertThat(e.state()).isEqualTo(from);
                        assertThat(d.totalCalls()).isZero();
                        assertThat(events).isEmpty();
                    }
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(4 * 8 + 5 * 8 + 5 * 8 + 7 * 8);
    }

    @Test
    void engineReportsRunningAfterOpenAndStampsEventsWithTheSuppliedClock() throws Exception {
        final TestDevice d = new TestDevice(MigrationFlags.ALL);
        final List<StateEvent> events = new ArrayList<>();
        final MigrationEngine e = engine(d, events);
        assertThat(e.state()).isEqualTo(MigrationState.RUNNING);
        e.setState(MigrationState.STOP);
        assertThat(events).extracting(StateEvent::startNanos, StateEvent::endNanos)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1_010L, 1_020L),
                        org.assertj.core.groups.Tuple.tuple(1_030L, 1_040L));
        assertThat(events).extracting(StateEvent::to)
                .containsExactly(MigrationState.RUNNING_P2P, MigrationState.STOP);
    }

    @Test
    void failingHookLeavesErrorWhichOnlyResetLeaves() throws Exception {
        final TestDevice d = new TestDevice(MigrationFlags.P2P);
        final List<StateEvent> events = new ArrayList<>();
        final MigrationEngine e = engine(d, events);
        d.failOn = Arc.RUNNING_P2P_TO_STOP;
        assertThatThrownBy(() -> e.setState(MigrationState.STOP_COPY))
                .isInstanceOfSatisfying(MigrationException.class, x -> {
                    assertThat(x.errno()).isEqualTo(Errno.EIO);
                    assertThat(x.state()).isEqualTo(MigrationState.ERROR);
                });
        assertThat(e.state()).isEqualTo(MigrationState.ERROR);
        assertThat(d.gate.activity()).isEqualTo(Activity.STOPPED);
        assertThat(events.getLast().cause()).isEqualTo(StateEvent.Cause.ARC_FAILED);
        assertThatThrownBy(() -> e.setState(MigrationState.RUNNING))
                .isInstanceOfSatisfying(MigrationException.class, x -> assertThat(x.errno()).isEqualTo(Errno.EINVAL));
        assertThat(e.state()).isEqualTo(MigrationState.ERROR);
        d.failOn = null;
        e.reset();
        assertThat(e.state()).isEqualTo(MigrationState.RUNNING);
        assertThat(d.resets).isEqualTo(1);
        assertThat(d.gate.activity()).isEqualTo(Activity.RUNNING);
        assertThat(e.setState(MigrationState.STOP).reached()).isEqualTo(MigrationState.STOP);
    }

    @Test
    void injectedFailureSkipsTheHookAndFiresOnce() throws Exception {
        final TestDevice d = new TestDevice(MigrationFlags.STOP_COPY);
        final MigrationEngine e = engine(d, new ArrayList<>());
        e.failNextArc(Arc.RUNNING_TO_STOP, Errno.ENOSPC);
        assertThatThrownBy(() -> e.setState(MigrationState.STOP))
                .isInstanceOfSatisfying(MigrationException.class, x -> assertThat(x.errno()).isEqualTo(Errno.ENOSPC));
        assertThat(d.calls).isEmpty();
        e.reset();
        e.setState(MigrationState.STOP);
        assertThat(d.calls).containsEntry(Arc.RUNNING_TO_STOP, 1);
    }

    @Test
    void streamsWorkOnlyInTheirDirectionAndSession() throws Exception {
        final TestDevice d = new TestDevice(MigrationFlags.ALL);
        final MigrationEngine e = engine(d, new ArrayList<>());
        assertThatThrownBy(e::precopyInfo).isInstanceOfSatisfying(DeviceException.class,
                x -> assertThat(x.errno()).isEqualTo(Errno.EINVAL));
        final MigrationStream pre = e.setState(MigrationState.PRE_COPY).stream().orElseThrow();
        assertThat(pre.isSaving()).isTrue();
        final long header = new StreamHeader(3, 1, "test").length();
        assertThat(e.precopyInfo()).isEqualTo(new PrecopyInfo(header + TestDevice.SIZE, 0));
        assertThatThrownBy(() -> pre.write(ByteBuffer.allocate(4))).isInstanceOfSatisfying(DeviceException.class,
                x -> assertThat(x.errno()).isEqualTo(Errno.EINVAL));
        final ByteBuffer buf = ByteBuffer.allocate(1024);
        assertThat(pre.read(buf)).isEqualTo((int) header + TestDevice.SIZE);
        assertThat(pre.read(buf)).as("PRE_COPY drained: no data now").isZero();
        assertThat(e.precopyInfo()).isEqualTo(new PrecopyInfo(0, 0));
        assertThat(e.setState(MigrationState.STOP_COPY).stream()).as("same session continues").isEmpty();
        assertThat(pre.read(buf)).as("STOP_COPY complete: end of stream").isEqualTo(-1);
        assertThat(pre.read(buf)).isEqualTo(-1);
        e.setState(MigrationState.STOP);
        assertThat(pre.isLive()).isFalse();
        assertThatThrownBy(() -> pre.read(buf)).isInstanceOfSatisfying(DeviceException.class,
                x -> assertThat(x.errno()).isEqualTo(Errno.ENODEV));
        final MigrationStream in = e.setState(MigrationState.RESUMING).stream().orElseThrow();
        assertThatThrownBy(() -> in.read(buf)).isInstanceOfSatisfying(DeviceException.class,
                x -> assertThat(x.errno()).isEqualTo(Errno.EINVAL));
        e.reset();
        assertThatThrownBy(() -> in.write(validStream())).isInstanceOfSatisfying(DeviceException.class,
                x -> assertThat(x.errno()).isEqualTo(Errno.ENODEV));
    }

    @Test
    void saveThenLoadOnAFreshDeviceGivesEqualChecksumsWithByteAtATimeWrites() throws Exception {
        final TestDevice src = new TestDevice(MigrationFlags.STOP_COPY);
        for (int i = 0; i < TestDevice.SIZE; i++) {
            src.state[i] = (byte) (31 * i + 5);
        }
        final MigrationEngine a = engine(src, new ArrayList<>());
        final MigrationStream out = a.setState(MigrationState.STOP_COPY).stream().orElseThrow();
        final ByteBuffer all = ByteBuffer.allocate(4096);
        final ByteBuffer small = ByteBuffer.allocate(7);
        int n;
        while ((n = out.read(small.clear())) > 0) {
            all.put(small.flip());
        }
        assertThat(n).isEqualTo(-1);
        final TestDevice dst = new TestDevice(MigrationFlags.STOP_COPY);
        final MigrationEngine b = engine(dst, new ArrayList<>());
        final MigrationStream in = b.setState(MigrationState.RESUMING).stream().orElseThrow();
        all.flip();
        while (all.hasRemaining()) {
            in.write(all.slice(all.position(), 1));
            all.position(all.position() + 1);
        }
        b.setState(MigrationState.RUNNING);
        assertThat(b.checksum()).isEqualTo(a.checksum());
    }

    @Test
    void badLoadsFailOnResumingToStopWithNothingApplied() throws Exception {
        final ByteBuffer good = validStream();
        final byte[] g = new byte[good.remaining()];
        good.get(g);
        final byte[] wrongKind = concat(new StreamHeader(3, 0, "uart").encode(), g, 20);
        final byte[] wrongVersion = concat(new StreamHeader(4, 0, "test").encode(), g, 20);
        final byte[] unknownFlags = g.clone();
        unknownFlags[12] = 0x40;
        final byte[] badMagic = g.clone();
        badMagic[3] ^= 1;
        final byte[][] bad = {java.util.Arrays.copyOf(g, 10), java.util.Arrays.copyOf(g, g.length - 1), wrongKind,
            wrongVersion, unknownFlags, badMagic, new byte[0]};
        for (final byte[] stream : bad) {
            final TestDevice d = new TestDevice(MigrationFlags.STOP_COPY);
            final MigrationEngine e = engine(d, new ArrayList<>());
            final long before = e.checksum();
            final MigrationStream in = e.setState(MigrationState.RESUMING).stream().orElseThrow();
            try {
                in.write(ByteBuffer.wrap(stream));
            } catch (final DeviceException x) {
                assertThat(x.errno()).isIn(Errno.EINVAL, Errno.ENOMEM);
            }
            assertThatThrownBy(() -> e.setState(MigrationState.STOP))
                    .isInstanceOfSatisfying(MigrationException.class, x -> {
                        assertThat(x.errno()).isEqualTo(Errno.EINVAL);
                        assertThat(x.state()).isEqualTo(MigrationState.ERROR);
                    });
            assertThat(e.state()).isEqualTo(MigrationState.ERROR);
            assertThat(e.checksum()).isEqualTo(before);
        }
    }

    private static byte[] concat(final ByteBuffer header, final byte[] good, final int goodHeader) {
        final byte[] out = new byte[header.remaining() + good.length - goodHeader];
        final int h = header.remaining();
        header.get(out, 0, h);
        System.arraycopy(good, goodHeader, out, h, good.length - goodHeader);
        return out;
    }

    @Test
    void stopCopySizeIsAvailableInEveryState() throws Exception {
        final TestDevice d = new TestDevice(MigrationFlags.ALL);
        final MigrationEngine e = engine(d, new ArrayList<>());
        for (final MigrationState s : MigrationFlags.ALL.states()) {
            e.reset();
            driveTo(e, s);
            assertThat(e.stopCopySize()).as("in %s", s).isEqualTo(TestDevice.SIZE + 20);
        }
    }
}
