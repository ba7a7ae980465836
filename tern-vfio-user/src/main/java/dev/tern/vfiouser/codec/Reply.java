package dev.tern.vfiouser.codec;

/** The payload of a reply message (header type 1). */
public sealed interface Reply extends Message
        permits Version, Ack, ErrorReply, DmaUnmapReply, DeviceInfo, RegionInfoReply, RegionIoFdsReply, IrqInfo,
        RegionReadReply, RegionWriteReply, DmaReadReply, DmaWriteReply, RegionWriteMultiReply, DeviceFeature,
        MigDataReadReply {
}
