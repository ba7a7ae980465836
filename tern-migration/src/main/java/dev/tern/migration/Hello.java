package dev.tern.migration;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The source's opening message on the control connection: what it will send, so the destination can refuse
 * before anything stops.
 *
 * <pre>
 *   u32 protocol version (1) | u32 options (bit 0 verify, bit 1 pre-copy) | u64 guest memory bytes
 *   | u32 device count | DeviceDescriptor × count
 * </pre>
 *
 * @param memoryBytes guest memory size
 * @param verify whether the destination computes checksums before the commit
 * @param precopy whether pre-copy data will arrive
 * @param devices the devices, by index; device i streams on data connection i, memory on data connection n
 */
public record Hello(long memoryBytes, boolean verify, boolean precopy, List<DeviceDescriptor> devices) {

    /** The handshake version this code speaks. */
    public static final int VERSION = 1;
    private static final int MAX_DEVICES = 256;

    /** Copies the device list. */
    public Hello {
        devices = List.copyOf(devices);
    }

    /** @return the encoding */
    public ByteBuffer encode() {
        int size = 20;
        for (final DeviceDescriptor d : devices) {
            size += d.encodedSize();
        }
        final ByteBuffer out = ByteBuffer.allocate(size);
        out.putInt(VERSION).putInt((verify ? 1 : 0) | (precopy ? 2 : 0)).putLong(memoryBytes).putInt(devices.size());
        devices.forEach(d -> d.encode(out));
        return out.flip();
    }

    /** @throws IllegalArgumentException for malformed bytes or another handshake version */
    public static Hello decode(final ByteBuffer in) {
        try {
            final int version = in.getInt();
            if (version != VERSION) {
                throw new IllegalArgumentException("handshake version " + version + " (this side speaks "
                        + VERSION + ")");
            }
            final int options = in.getInt();
            final long memory = in.getLong();
            final int count = in.getInt();
            if (count < 0 || count > MAX_DEVICES) {
                throw new IllegalArgumentException("handshake names " + count + " devices");
            }
            final List<DeviceDescriptor> devices = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                devices.add(DeviceDescriptor.decode(in));
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("handshake has " + in.remaining() + " trailing bytes");
            }
            return new Hello(memory, (options & 1) != 0, (options & 2) != 0, devices);
        } catch (final BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated handshake");
        }
    }

    /** @return why devices described by {@code local} (and memory of {@code localMemory}) cannot take this, or null */
    public String incompatibility(final List<DeviceDescriptor> local, final long localMemory) {
        if (local.size() != devices.size()) {
            return "the source migrates " + devices.size() + " devices, the destination has " + local.size();
        }
        if (localMemory != memoryBytes) {
            return "guest memory is " + memoryBytes + " bytes on the source, " + localMemory
                    + " on the destination";
        }
        for (int i = 0; i < devices.size(); i++) {
            final var why = devices.get(i).incompatibility(local.get(i));
            if (why.isPresent()) {
                return why.get();
            }
        }
        return null;
    }
}
