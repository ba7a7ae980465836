package dev.tern.conformance;

import dev.tern.device.DeviceException;
import dev.tern.device.migration.ForwardingDevice;
import dev.tern.device.migration.LoadSink;
import dev.tern.protocol.Arc;
import dev.tern.samples.Uart;
import java.nio.ByteBuffer;

/** A deliberately broken device: a uart whose load accepts any bytes and installs nothing. */
final class ForgetfulUart extends ForwardingDevice<Uart> {

    ForgetfulUart() throws DeviceException {
        super(new Uart());
        inner.injectRx(new byte[] {(byte) System.nanoTime()});
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
