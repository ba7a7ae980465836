package dev.tern.device;

import java.lang.foreign.MemorySegment;

/**
 * Message-based access to guest memory the device cannot map, supplied by the transport (vfio-user
 * {@code VFIO_USER_DMA_READ/WRITE} when the client gave no fd for a region).
 */
public interface DmaChannel {

    /**
     * Reads {@code dst.byteSize()} bytes of guest memory at {@code iova}.
     *
     * @param iova the guest address
     * @param dst receives the bytes, all of it
     * @throws DeviceException if the peer refused or the transport failed
     */
    void read(long iova, MemorySegment dst) throws DeviceException;

    /**
     * Writes {@code src} to guest memory at {@code iova}.
     *
     * @param iova the guest address
     * @param src the bytes, all of it
     * @throws DeviceException if the peer refused or the transport failed
     */
    void write(long iova, MemorySegment src) throws DeviceException;
}
