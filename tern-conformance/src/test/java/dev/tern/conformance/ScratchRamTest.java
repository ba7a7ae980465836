package dev.tern.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tern.device.DeviceException;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.Region;
import dev.tern.device.RegionInfo;
import dev.tern.device.migration.MigrationEngine;
import dev.tern.device.migration.MigrationStream;
import dev.tern.device.migration.MigrationTarget;
import dev.tern.device.migration.PagedSaveSource;
import dev.tern.device.migration.PrecopyInfo;
import dev.tern.device.migration.StreamHeader;
import dev.tern.protocol.MigrationState;
import dev.tern.sys.Errno;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link ScratchRam}, a large-state device of ~100 lines on the SDK's paged building blocks. */
class ScratchRamTest {

    private static final long MIB = 1 << 20;
    private static final int PAGE = 4096;
    /** Per record: tag, reserved, two u64s. */
    private static final int RECORD = 24;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (final AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private record Rig(ScratchRam device, MigrationEngine engine) {
    }

    private Rig rig(final long size) throws DeviceException {
        final ScratchRam d = new ScratchRam(size);
        final MigrationEngine e = MigrationEngine.of(d);
        open.add(e);
        d.regions().get(RegionInfo.PCI_CONFIG).write(PciConfigSpace.COMMAND,
                ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) PciConfigSpace.COMMAND_MEMORY));
        return new Rig(d, e);
    }

    /** A guest writing 8 bytes at {@code page * 4096 + 8} through BAR0. */
    private static void poke(final ScratchRam d, final long page, final long value) throws DeviceException {
        d.regions().get(RegionInfo.PCI_BAR0).write(page * PAGE + 8,
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value));
    }

    private static byte[] drain(final MigrationStream s, final boolean toEnd) throws DeviceException {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteBuffer buf = ByteBuffer.allocateDirect(256 << 10);
        final byte[] chunk = new byte[256 << 10];
        int n;
        while ((n = s.read(buf.clear())) > 0) {
            buf.flip().get(chunk, 0, n);
            out.write(chunk, 0, n);
        }
        assertThat(n).isEqualTo(toEnd ? -1 : 0);
        return out.toByteArray();
    }

    private static void load(final MigrationEngine e, final byte[] stream) throws DeviceException {
        e.setState(MigrationState.RESUMING).stream().orElseThrow().write(ByteBuffer.wrap(stream));
        e.setState(MigrationState.STOP);
    }

    /** The whole kit on 64 MiB, with a guest writing through the BAR while the busy save runs. */
    @Test
    @Timeout(300)
    void passesTheWholeConformanceKitWithPreCopy() {
        final Map<MigrationTarget, ScratchRam> devices = new ConcurrentHashMap<>();
        final Subject engines = Subject.ofEngines(ScratchRam.KIND, () -> {
            final Rig r = rig(64 * MIB);
            devices.put(r.engine(), r.device());
            return r.engine();
        });
        final AtomicLong written = new AtomicLong();
        final Subject busy = new Subject() {
            @Override
            public String name() {
                return engines.name();
            }

            @Override
            public MigrationTarget open() throws DeviceException {
                return engines.open();
            }

            @Override
            public boolean injectFailure(final MigrationTarget t, final dev.tern.protocol.Arc arc) {
                return engines.injectFailure(t, arc);
            }

            @Override
            public boolean observeArcs(final MigrationTarget t, final java.util.function.Consumer<dev.tern.protocol.Arc>
                    arcs) {
                return engines.observeArcs(t, arcs);
            }

            @Override
            public Optional<AutoCloseable> keepBusy(final MigrationTarget t) {
                final ScratchRam d = devices.get(t);
                final AtomicBoolean stop = new AtomicBoolean();
                final Thread guest = Thread.ofPlatform().start(() -> {
                    final Random r = new Random(7);
                    while (!stop.get()) {
                        try {
                            poke(d, r.nextInt((int) (64 * MIB / PAGE)), r.nextLong());
                            written.incrementAndGet();
                            Thread.sleep(0, 200_000);
                        } catch (final DeviceException | InterruptedException e) {
                            return;
                        }
                    }
                });
                return Optional.of(() -> {
                    stop.set(true);
                    guest.join(5_000);
                });
            }
        };
        final List<CheckResult> results = ConformanceKit.run(busy);
        assertThat(results).filteredOn(r -> !r.passed()).isEmpty();
        assertThat(results).noneMatch(CheckResult::skipped);
        assertThat(results).filteredOn(r -> r.name().startsWith("round trip via PRE_COPY")).isNotEmpty();
        assertThat(results).filteredOn(r -> r.name().equals("save with the device busy")).singleElement()
                .extracting(CheckResult::detail).asString().contains("through PRE_COPY", "workload: the subject's");
        assertThat(written.get()).as("guest writes during the busy save").isPositive();
    }

    /** PRECOPY_INFO counts exactly: all pages initially, then exactly the pages written since they were sent. */
    @Test
    void preCopyRoundsSendTheWrittenPagesAndTheLoadMatchesTheSwitchover() throws Exception {
        final long size = 4 * MIB;
        final Rig src = rig(size);
        poke(src.device(), 3, 0x1111);
        final MigrationStream s = src.engine().setState(MigrationState.PRE_COPY).stream().orElseThrow();
        final long header = new StreamHeader(1, StreamHeader.FLAG_PRE_COPY, ScratchRam.KIND).length();
        assertThat(src.engine().precopyInfo()).isEqualTo(new PrecopyInfo(header + RECORD + size, 0));
        final byte[] round1 = drain(s, false);
        assertThat(round1).as("header, CONFIG, one run of 1024 pages").hasSize((int) (header + 2 * RECORD + size));
        assertThat(src.engine().precopyInfo()).isEqualTo(new PrecopyInfo(0, 0));
        for (final long p : new long[] {5, 7, 900}) {
            poke(src.device(), p, p);
        }
        poke(src.device(), 6, 6);
        assertThat(src.engine().precopyInfo()).isEqualTo(new PrecopyInfo(0, 4 * PAGE));
        final long stopCopy = src.engine().stopCopySize();
        final byte[] round2 = drain(s, false);
        assertThat(round2).as("runs 5-7 and 900").hasSize(2 * RECORD + 4 * PAGE);
        assertThat(stopCopy).as("MIG_DATA_SIZE = dirty pages + registers + END (run headers not estimated)")
                .isEqualTo(4L * PAGE + 2L * RECORD + PciConfigSpace.SIZE);
        poke(src.device(), 5, 55);
        src.engine().setState(MigrationState.PRE_COPY_P2P);
        assertThat(src.engine().setState(MigrationState.STOP_COPY).stream()).isEmpty();
        assertThatThrownBy(() -> poke(src.device(), 1, 1)).as("frozen while stopped")
                .isInstanceOfSatisfying(DeviceException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EBUSY));
        final long sum = src.engine().checksum();
        assertThat(src.engine().stopCopySize()).isEqualTo(PAGE + 2L * RECORD + PciConfigSpace.SIZE);
        final byte[] last = drain(s, true);
        assertThat(last).hasSize(RECORD + PAGE + 2 * RECORD + PciConfigSpace.SIZE);
        final Rig dst = rig(size);
        final ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(round1);
        all.writeBytes(round2);
        all.writeBytes(last);
        load(dst.engine(), all.toByteArray());
        assertThat(dst.engine().checksum()).isEqualTo(sum);
        assertThat(dst.device().memory().segment().get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 5 * PAGE + 8))
                .isEqualTo(55);
    }

    /** A device that renews its state as a whole: initial data again, dirty from 0, REINIT reported once. */
    @Test
    void reinitMakesEveryPageInitialDataAgain() throws Exception {
        final Rig r = rig(MIB);
        final PagedSaveSource s = r.device().memory().startSaving(r.device());
        final long regs = 2L * RECORD + PciConfigSpace.SIZE;
        assertThat(r.device().stopCopySize()).isEqualTo(RECORD + MIB + regs);
        final ByteBuffer buf = ByteBuffer.allocateDirect(2 << 20);
        assertThat(s.read(buf.limit(10), false)).isEqualTo(10);
        assertThat(s.precopyInfo()).as("a CONFIG header in flight is initial data")
                .isEqualTo(new PrecopyInfo(RECORD - 10 + MIB, 0));
        assertThat(s.read(buf.limit(buf.capacity()), false)).as("CONFIG and one run").isEqualTo(2 * RECORD + MIB - 10);
        poke(r.device(), 4, 1);
        assertThat(s.precopyInfo()).isEqualTo(new PrecopyInfo(0, PAGE));
        s.reinit();
        assertThat(s.precopyInfo()).isEqualTo(new PrecopyInfo(MIB, 0, true));
        assertThat(s.precopyInfo()).isEqualTo(new PrecopyInfo(MIB, 0, false));
        assertThat(r.device().stopCopySize()).isEqualTo(MIB + regs);
        assertThat(s.read(buf.clear(), false)).isEqualTo(RECORD + MIB);
        assertThat(s.precopyInfo()).isEqualTo(new PrecopyInfo(0, 0));
        assertThat(s.pageBytesSent()).isEqualTo(2 * MIB);
        s.close();
        assertThat(r.device().stopCopySize()).as("no session: a whole stream").isEqualTo(4L * RECORD + MIB
                + PciConfigSpace.SIZE);
    }

    /** A load that fails on RESUMING→STOP keeps the memory the device had; the next good load then works. */
    @Test
    void aFailedLoadLeavesThePreviousContents() throws Exception {
        final long size = 1 * MIB;
        final Rig src = rig(size);
        poke(src.device(), 9, 0xABCD);
        final byte[] good = drain(src.engine().setState(MigrationState.STOP_COPY).stream().orElseThrow(), true);
        final long srcSum = src.engine().checksum();
        final Rig dst = rig(size);
        poke(dst.device(), 2, 0x2222);
        final long before = dst.engine().checksum();
        final byte[] truncated = java.util.Arrays.copyOf(good, good.length - RECORD);
        assertThatThrownBy(() -> load(dst.engine(), truncated)).isInstanceOfSatisfying(DeviceException.class,
                e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
        dst.engine().reset();
        assertThat(dst.engine().checksum()).isEqualTo(before);
        final byte[] foreign = good.clone();
        foreign[foreign.length - RECORD - PciConfigSpace.SIZE + 2] ^= 1;
        assertThatThrownBy(() -> load(dst.engine(), foreign)).isInstanceOf(DeviceException.class)
                .hasMessageContaining("state is for PCI device");
        dst.engine().reset();
        assertThat(dst.engine().checksum()).isEqualTo(before);
        load(dst.engine(), good);
        assertThat(dst.engine().checksum()).isEqualTo(srcSum);
        final Region bar = dst.device().regions().get(RegionInfo.PCI_BAR0);
        final ByteBuffer v = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        dst.engine().setState(MigrationState.RUNNING);
        bar.read(9 * PAGE + 8, v);
        assertThat(v.getLong(0)).isEqualTo(0xABCD);
    }
}
