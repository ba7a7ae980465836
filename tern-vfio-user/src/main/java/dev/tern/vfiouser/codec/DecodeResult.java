package dev.tern.vfiouser.codec;

/**
 * The outcome of {@link MessageDecoder#decode}: a typed message or a malformed-input value. Decoding never throws;
 * malformed input is a value carrying the errno to reply with (as OpenJDK's {@code java.net.http} treats protocol
 * errors).
 */
public sealed interface DecodeResult permits Decoded, Malformed {
}
