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
 *   u32 protocol version (2) | u32 options (bit 0 verify, bit 1 pre-copy, bit 2 verification required)
 *   | u64 guest memory bytes | u32 device count | DeviceDescriptor × count | u8 checksum offered × count
 * </pre>
 *
 * @param memoryBytes guest memory size
 * @param verify which checksums the destination computes before the commit (see {@link VerifyPlan})
 * @param precopy whether pre-copy data will arrive
 * @param devices the devices, by index; device i streams on data connection i, memory on data connection n
 * @param checksums per source device, by index: it offers a state checksum
 */
public record Hello(long memoryBytes, VerifyMode verify, boolean precopy, List<DeviceDescriptor> devices,
        boolean[] checksums) {

    /** The handshake version this code speaks (2: verification negotiated per device). */
    public static final int VERSION = 2;
    private static final int MAX_DEVICES = 256;

    /** Copies the device list and the checksum offers, which must match in length. */
    public Hello {
        devices = List.copyOf(devices);
        checksums = checksums.clone();
        if (checksums.length != devices.size()) {
            throw new IllegalArgumentException(checksums.length + " checksum offers for " + devices.size()
                    + " devices");
        }
    }

    /**
     * {@return the source's hello for {@code devices}, each saying whether it offers a checksum}
     *
     * @param memoryBytes the guest memory's size
     * @param verify the source's verification mode
     * @param precopy whether the source will pre-copy
     * @param devices the source's devices, in pairing order
     */
    public static Hello of(final long memoryBytes, final VerifyMode verify, final boolean precopy,
            final List<MigratingDevice> devices) {
        final boolean[] offers = new boolean[devices.size()];
        for (int i = 0; i < offers.length; i++) {
            offers[i] = devices.get(i).target().capabilities().checksum();
        }
        return new Hello(memoryBytes, verify, precopy, devices.stream().map(MigratingDevice::descriptor).toList(),
                offers);
    }

    /** {@return the encoding} */
    public ByteBuffer encode() {
        int size = 20 + checksums.length;
        for (final DeviceDescriptor d : devices) {
            size += d.encodedSize();
        }
        final ByteBuffer out = ByteBuffer.allocate(size);
        final int options = (verify != VerifyMode.OFF ? 1 : 0) | (precopy ? 2 : 0)
                | (verify == VerifyMode.REQUIRED ? 4 : 0);
        out.putInt(VERSION).putInt(options).putLong(memoryBytes).putInt(devices.size());
        devices.forEach(d -> d.encode(out));
        for (final boolean c : checksums) {
            out.put((byte) (c ? 1 : 0));
        }
        return out.flip();
    }

    /**
     * Reads the form {@link #encode} writes.
     *
     * @param in the encoded form, from its position
     * @return the hello
     * @throws IllegalArgumentException for malformed bytes or another handshake version
     */
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
            final boolean[] checksums = new boolean[count];
            for (int i = 0; i < count; i++) {
                checksums[i] = in.get() != 0;
            }
            if (in.hasRemaining()) {
                throw new IllegalArgumentException("handshake has " + in.remaining() + " trailing bytes");
            }
            final VerifyMode verify = (options & 1) == 0 ? VerifyMode.OFF
                    : (options & 4) != 0 ? VerifyMode.REQUIRED : VerifyMode.AUTO;
            return new Hello(memory, verify, (options & 2) != 0, devices, checksums);
        } catch (final BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated handshake");
        }
    }

    /**
     * {@return why devices described by {@code local} (and memory of {@code localMemory}) cannot take this, or null}
     *
     * @param local the destination's devices, in pairing order
     * @param localMemory the destination's guest memory size
     */
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
