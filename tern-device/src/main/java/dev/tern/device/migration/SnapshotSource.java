package dev.tern.device.migration;

import java.nio.ByteBuffer;

/**
 * A {@link SaveSource} over a state snapshot taken when the session opened: for devices whose whole state is small
 * (registers, FIFOs), like mtty. In pre-copy it offers the snapshot as initial data; in stop-copy it ends with it.
 */
public final class SnapshotSource implements SaveSource {

    private final ByteBuffer state;

    /**
     * A saving stream that yields {@code snapshot} once: as initial data in pre-copy, else as stop-copy data.
     *
     * @param snapshot the serialized state (not copied)
     */
    public SnapshotSource(final byte[] snapshot) {
        this.state = ByteBuffer.wrap(snapshot);
    }

    @Override
    public int read(final ByteBuffer dst, final boolean stopCopy) {
        if (!state.hasRemaining()) {
            return stopCopy ? -1 : 0;
        }
        final int n = Math.min(dst.remaining(), state.remaining());
        dst.put(dst.position(), state, state.position(), n);
        dst.position(dst.position() + n);
        state.position(state.position() + n);
        return n;
    }

    @Override
    public PrecopyInfo precopyInfo() {
        return new PrecopyInfo(state.remaining(), 0);
    }

    /** {@return bytes not yet read} */
    public int remaining() {
        return state.remaining();
    }
}
