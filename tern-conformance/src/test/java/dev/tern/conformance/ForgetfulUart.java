package dev.tern.conformance;

import dev.tern.device.DeviceException;
import dev.tern.device.PciDevice;
import dev.tern.device.PciFunction;
import dev.tern.device.migration.LoadSink;
import dev.tern.device.migration.MigratableDevice;
import dev.tern.device.migration.SaveSource;
import dev.tern.samples.Uart;
import dev.tern.protocol.Arc;
import dev.tern.protocol.MigrationFlags;
import java.nio.ByteBuffer;
import java.util.Optional;

/** A deliberately broken device: a uart whose load accepts any bytes and installs nothing. */
final class ForgetfulUart implements MigratableDevice, PciDevice {

    private final Uart uart = new Uart();

    ForgetfulUart() throws DeviceException {
        uart.injectRx(new byte[] {(byte) System.nanoTime()});
    }

    @Override
    public LoadSink startResuming(final Arc arc) {
        return new LoadSink() {
            @Override
            public void write(final ByteBuffer src) {
                src.position(src.limit());
            }

            @Override
            public void apply() {
            }
        };
    }

    @Override
    public String kind() {
        return uart.kind();
    }

    @Override
    public PciFunction function() {
        return uart.function();
    }

    @Override
    public MigrationFlags migrationFlags() {
        return uart.migrationFlags();
    }

    @Override
    public int formatVersion() {
        return uart.formatVersion();
    }

    @Override
    public void stop(final Arc arc) {
        uart.stop(arc);
    }

    @Override
    public void run(final Arc arc) {
        uart.run(arc);
    }

    @Override
    public SaveSource startStopCopy(final Arc arc, final Optional<SaveSource> preCopy) {
        return uart.startStopCopy(arc, preCopy);
    }

    @Override
    public long stopCopySize() {
        return uart.stopCopySize();
    }

    @Override
    public long checksum() {
        return uart.checksum();
    }

    @Override
    public void reset() {
        uart.reset();
    }

    @Override
    public void close() {
        uart.close();
    }
}
