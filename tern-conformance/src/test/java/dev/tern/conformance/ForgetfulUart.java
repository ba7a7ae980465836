package dev.tern.conformance;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.ForwardingDevice;
import dev.tern.device.migration.LoadSink;
import dev.tern.protocol.Arc;
import dev.tern.samples.Uart;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/** A deliberately broken device: a uart whose load accepts any bytes and installs nothing. */
final class ForgetfulUart extends ForwardingDevice<Uart> {
    /**
     * Each instance starts with its own byte received, so a destination that forgot the loaded state never equals
     * its source by chance (a byte of {@code nanoTime} did, 1 in 256 per pair: the kit's test flaked).
     */
    private static final AtomicInteger NEXT = new AtomicInteger();

    ForgetfulUart() throws DeviceException {
        super(new Uart());
        inner.injectRx(new byte[] {(byte) NEXT.incrementAndGet()});
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
}
