package dev.tern.device.migration;

import dev.tern.device.DeviceException;
import dev.tern.device.DeviceGate;
import dev.tern.device.PciConfigSpace;
import dev.tern.device.PciDevice;
import dev.tern.device.PciFunction;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import dev.tern.sys.Errno;
import java.nio.ByteBuffer;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;

/** A migratable device with a 64-byte state that counts hook calls per arc and can fail a chosen arc. */
final class TestDevice implements MigratableDevice, PciDevice {

    static final int SIZE = 64;

    /** A function with config space only: no BARs, no IRQs. */
    final PciFunction function = PciFunction.builder(new PciConfigSpace(0x1b36, 0x7e57, 0xff0000, 0)).build();
    final DeviceGate gate = function.gate();
    final Map<Arc, Integer> calls = new EnumMap<>(Arc.class);
    final byte[] state = new byte[SIZE];
    private final MigrationFlags flags;
    Arc failOn;
    int resets;

    TestDevice(final MigrationFlags flags) {
        this.flags = flags;
    }

    private void hook(final Arc arc) throws DeviceException {
        calls.merge(arc, 1, Integer::sum);
        if (arc == failOn) {
            throw new DeviceException(Errno.EIO, "test hook fails " + arc);
        }
    }

    int totalCalls() {
        return calls.values().stream().mapToInt(Integer::intValue).sum();
    }

    @Override
    public String kind() {
        return "test";
    }

    @Override
    public PciFunction function() {
        return function;
    }

    @Override
    public MigrationFlags migrationFlags() {
        return flags;
    }

    @Override
    public int formatVersion() {
        return 3;
    }

    @Override
    public void stop(final Arc arc) throws DeviceException {
        hook(arc);
    }

    @Override
    public void run(final Arc arc) throws DeviceException {
        hook(arc);
    }

    @Override
    public void quiesceP2p(final Arc arc) throws DeviceException {
        hook(arc);
    }

    @Override
    public void unquiesceP2p(final Arc arc) throws DeviceException {
        hook(arc);
    }

    @Override
    public SaveSource startPreCopy(final Arc arc) throws DeviceException {
        hook(arc);
        return new SnapshotSource(state.clone());
    }

    @Override
    public void endPreCopy(final Arc arc, final SaveSource source) throws DeviceException {
        hook(arc);
    }

    @Override
    public SaveSource startStopCopy(final Arc arc, final Optional<SaveSource> preCopy) throws DeviceException {
        hook(arc);
        return preCopy.orElseGet(() -> new SnapshotSource(state.clone()));
    }

    @Override
    public void endStopCopy(final Arc arc, final SaveSource source) throws DeviceException {
        hook(arc);
    }

    @Override
    public LoadSink startResuming(final Arc arc) throws DeviceException {
        hook(arc);
        return new BufferedSink(SIZE, this::load);
    }

    @Override
    public void endResuming(final Arc arc, final LoadSink sink) throws DeviceException {
        hook(arc);
        sink.apply();
    }

    private void load(final ByteBuffer b) throws DeviceException {
        if (b.remaining() != SIZE) {
            throw new DeviceException(Errno.EINVAL, "test state must be " + SIZE + " bytes, got " + b.remaining());
        }
        b.get(state);
    }

    @Override
    public long stopCopySize() {
        return SIZE;
    }

    @Override
    public long checksum() {
        final CRC32C crc = new CRC32C();
        crc.update(state);
        return crc.getValue();
    }

    @Override
    public void reset() {
        resets++;
    }

    @Override
    public void close() {
    }
}
