/**
 * vfio-user framing over {@code AF_UNIX} stream sockets with {@code SCM_RIGHTS} descriptors: one
 * {@link dev.tern.vfiouser.transport.MessageChannel} per connection (header read on its own with the control
 * buffer, then the body, as libvfio-user's {@code tran_sock} does), {@link dev.tern.vfiouser.transport.Incoming}
 * values instead of exceptions for whatever the peer sends, and {@link dev.tern.vfiouser.transport.ReplyRouter} to
 * match replies to commands by {@code msg_id} when both sides send commands on one socket.
 */
package dev.tern.vfiouser.transport;
