package dev.tern.vfiouser.codec;

/** The payload of a command message (header type 0). */
public sealed interface Request extends Message
        permits Version, DmaMap, DmaUnmap, DeviceInfo, GetRegionInfo, GetRegionIoFds, IrqInfo, SetIrqs,
        RegionRead, RegionWrite, DmaRead, DmaWrite, DeviceReset, RegionWriteMulti, DeviceFeature, MigDataRead,
        MigDataWrite {
}
