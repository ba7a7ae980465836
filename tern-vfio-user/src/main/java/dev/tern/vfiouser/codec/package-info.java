/**
 * The vfio-user wire codec: message layouts, framing and decoding, VERSION capabilities and negotiation. No
 * sockets and no file descriptors here; only counts of descriptors ({@code SCM_RIGHTS} is the transport's job).
 * <p>
 * Sources: the vfio-user specification (QEMU {@code docs/interop/vfio-user.rst}, identical to libvfio-user's
 * {@code docs/vfio-user.rst}; cited by section title) and the observed behaviour of libvfio-user, the reference
 * server, where the specification is loose. Everything is little-endian and packed.
 * <p>
 * Pipeline, Netty style, framing separate from decoding:
 * <pre>
 *  receive: bytes + fd counts --&gt; FrameDecoder --&gt; Frame --&gt; MessageDecoder --&gt; Decoded(header, message)
 *                                                                            | Malformed(errno, reason)
 *  send:    Request / Reply --&gt; MessageEncoder --&gt; Frame --&gt; bytes + fd count
 * </pre>
 * See {@link dev.tern.vfiouser.codec.FrameDecoder}, {@link dev.tern.vfiouser.codec.MessageDecoder},
 * {@link dev.tern.vfiouser.codec.MessageEncoder}, {@link dev.tern.vfiouser.codec.DecodeResult}.
 * Tern extensions (negotiated, invisible to peers that do not ask): see {@link dev.tern.vfiouser.codec.TernExtension}
 * and {@link dev.tern.vfiouser.codec.Feature#TERN_PRECOPY_INFO}.
 */
package dev.tern.vfiouser.codec;
