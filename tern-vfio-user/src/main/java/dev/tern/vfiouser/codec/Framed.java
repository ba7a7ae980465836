package dev.tern.vfiouser.codec;

/** What {@link FrameDecoder} yields: a complete {@link Frame} or a {@link FrameRejected}. */
public sealed interface Framed permits Frame, FrameRejected {
}
