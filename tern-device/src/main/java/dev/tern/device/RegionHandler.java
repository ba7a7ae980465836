package dev.tern.device;

import java.nio.ByteBuffer;

/**
 * The device code behind a region: register reads and writes as the VMM performs them (VFIO region
 * {@code pread}/{@code pwrite}, vfio-user {@code VFIO_USER_REGION_READ/WRITE}).
 *
 * <p>{@link Region} has already checked the access against the region's size and flags, so a handler only decides
 * what the registers do. Accesses have the width the VMM chose (1, 2, 4 or 8 bytes for registers); the buffer is
 * little-endian, as PCI is.
 */
public interface RegionHandler {

    /**
     * Fills {@code dst} (all of its remaining bytes) with the region content at {@code offset}.
     *
     * @param offset the offset within the region, already bounds-checked by {@link Region}
     * @param dst receives the bytes, from its position to its limit
     * @throws DeviceException if the device refuses the access (e.g. an unsupported width: EINVAL)
     */
    void read(long offset, ByteBuffer dst) throws DeviceException;

    /**
     * Consumes all remaining bytes of {@code src} as a write at {@code offset}.
     *
     * @param offset the offset within the region, already bounds-checked by {@link Region}
     * @param src the bytes written, from its position to its limit
     * @throws DeviceException if the device refuses the access
     */
    void write(long offset, ByteBuffer src) throws DeviceException;
}
